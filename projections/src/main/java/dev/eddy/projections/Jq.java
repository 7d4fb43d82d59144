package dev.eddy.projections;

import com.fasterxml.jackson.databind.JsonNode;
import dev.eddy.platform.PlatformException;
import net.thisptr.jackson.jq.BuiltinFunctionLoader;
import net.thisptr.jackson.jq.JsonQuery;
import net.thisptr.jackson.jq.Scope;
import net.thisptr.jackson.jq.Versions;
import net.thisptr.jackson.jq.exception.JsonQueryException;

import java.util.ArrayList;
import java.util.List;

/**
 * A compiled jq program (jackson-jq, jq 1.6 dialect) and how projections run it. Immutable and thread-safe:
 * every run gets its own child scope of one shared scope holding the built-in functions.
 */
final class Jq {

    private static final Scope BUILTINS = builtins();

    private final String source;
    private final JsonQuery query;

    private Jq(String source, JsonQuery query) {
        this.source = source;
        this.query = query;
    }

    /** Compiles {@code source}; INVALID_ARGUMENT naming {@code what} and the jq error when it does not compile. */
    static Jq compile(String what, String source) {
        try {
            return new Jq(source, JsonQuery.compile(source, Versions.JQ_1_6));
        } catch (JsonQueryException | RuntimeException e) {
            throw PlatformException.invalidArgument("The " + what + " is not a valid jq program: " + e.getMessage());
        }
    }

    String source() {
        return source;
    }

    /** Every output of the program on {@code input}; a jq error is an {@link JqFailure}. */
    List<JsonNode> apply(JsonNode input) {
        List<JsonNode> out = new ArrayList<>(1);
        try {
            query.apply(Scope.newChildScope(BUILTINS), input, out::add);
        } catch (JsonQueryException | RuntimeException e) {
            throw new JqFailure(e.getMessage() == null ? e.toString() : e.getMessage());
        } catch (StackOverflowError e) {
            throw new JqFailure("The jq program recursed too deeply.");
        }
        return out;
    }

    private static Scope builtins() {
        Scope scope = Scope.newEmptyScope();
        BuiltinFunctionLoader.getInstance().loadFunctions(Versions.JQ_1_6, scope);
        return scope;
    }

    /** A jq program failed at run time (or produced unusable output). */
    static final class JqFailure extends RuntimeException {
        JqFailure(String message) {
            super(message, null, false, false);
        }
    }
}
