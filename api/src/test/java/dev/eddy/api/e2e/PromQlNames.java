package dev.eddy.api.e2e;

import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names a PromQL expression selects, found without a full parser: strings, comments, label matchers,
 * range and subquery selectors, grouping and matching clauses, numbers and durations, function and aggregation
 * calls and keywords are removed, and what is left are metric names. Stateless, thread-safe.
 */
final class PromQlNames {

    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "by", "without", "on", "ignoring",
            "group_left", "group_right", "bool", "offset", "atan2", "inf", "nan", "start", "end");
    private static final Pattern CLAUSE =
            Pattern.compile("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", Pattern.CASE_INSENSITIVE);
    private static final Pattern NAME_MATCHER = Pattern.compile("__name__\\s*=\\s*[\"'`]([a-zA-Z_:][a-zA-Z0-9_:]*)[\"'`]");

    private PromQlNames() {
    }

    /** The metric names {@code expr} selects, sorted. */
    static Set<String> of(String expr) {
        Set<String> names = new TreeSet<>();
        String text = CLAUSE.matcher(stripSelectors(expr, names)).replaceAll(" ");
        int i = 0;
        int n = text.length();
        while (i < n) {
            char c = text.charAt(i);
            if (Character.isDigit(c) || (c == '.' && i + 1 < n && Character.isDigit(text.charAt(i + 1)))) {
                // a number (1, 0.99, 1e3, 0x1f) or a duration (5m, 1h30m): never a name
                while (i < n && (Character.isLetterOrDigit(text.charAt(i)) || text.charAt(i) == '.'
                        || text.charAt(i) == '_')) {
                    i++;
                }
            } else if (Character.isLetter(c) || c == '_' || c == ':') {
                int start = i;
                while (i < n && (Character.isLetterOrDigit(text.charAt(i)) || text.charAt(i) == '_'
                        || text.charAt(i) == ':')) {
                    i++;
                }
                String word = text.substring(start, i);
                int next = i;
                while (next < n && Character.isWhitespace(text.charAt(next))) {
                    next++;
                }
                boolean call = next < n && text.charAt(next) == '(';
                if (!call && !KEYWORDS.contains(word.toLowerCase(Locale.ROOT))) {
                    names.add(word);
                }
            } else {
                i++;
            }
        }
        return names;
    }

    /**
     * {@code expr} with strings, comments, {@code {...}} matchers and {@code [...]} ranges blanked out; the names
     * of {@code __name__="..."} matchers go to {@code names}.
     */
    private static String stripSelectors(String expr, Set<String> names) {
        StringBuilder out = new StringBuilder(expr.length());
        int i = 0;
        int n = expr.length();
        while (i < n) {
            char c = expr.charAt(i);
            if (c == '"' || c == '\'' || c == '`') {
                i = skipString(expr, i);
                out.append(' ');
            } else if (c == '#') {
                while (i < n && expr.charAt(i) != '\n') {
                    i++;
                }
            } else if (c == '{' || c == '[') {
                char close = c == '{' ? '}' : ']';
                int start = i;
                i++;
                while (i < n && expr.charAt(i) != close) {
                    char d = expr.charAt(i);
                    i = d == '"' || d == '\'' || d == '`' ? skipString(expr, i) : i + 1;
                }
                if (i >= n) {
                    throw new IllegalArgumentException("unclosed '" + c + "' at " + start + " in: " + expr);
                }
                i++;
                if (c == '{') {
                    Matcher m = NAME_MATCHER.matcher(expr.substring(start, i));
                    while (m.find()) {
                        names.add(m.group(1));
                    }
                }
                out.append(' ');
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    /** The index just past the string literal that starts at {@code start}. */
    private static int skipString(String expr, int start) {
        char quote = expr.charAt(start);
        int i = start + 1;
        while (i < expr.length()) {
            char c = expr.charAt(i);
            if (c == '\\' && quote != '`') {
                i += 2;
            } else if (c == quote) {
                return i + 1;
            } else {
                i++;
            }
        }
        throw new IllegalArgumentException("unclosed string at " + start + " in: " + expr);
    }
}
