package dev.eddy.api.kinesis;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.util.Base64;

/**
 * Member reads shared by the streaming request decoders. They accept only what {@link Params} accepts
 * without error and with the same result; anything else (a wrong type, bad base64, a syntax error) is
 * {@link NotPlain}, and the body goes the tree way, which reports it exactly as it always has. Stateless.
 */
final class StreamingReads {

    private StreamingReads() {
    }

    /**
     * The body is not the plain, valid shape a streaming decoder handles; the tree path decides. Carries
     * no stack trace: it is control flow.
     */
    static final class NotPlain extends Exception {
        static final NotPlain INSTANCE = new NotPlain();

        private NotPlain() {
            super(null, null, false, false);
        }
    }

    /** The value token after a field name; the end of input is not plain. */
    static JsonToken value(JsonParser p) throws IOException, NotPlain {
        JsonToken value = p.nextToken();
        if (value == null) {
            throw NotPlain.INSTANCE;
        }
        return value;
    }

    /** A string member whose value token is current: text, or {@code null} for null. */
    static String string(JsonParser p, JsonToken value) throws IOException, NotPlain {
        if (value == JsonToken.VALUE_STRING) {
            return p.getText();
        }
        if (value == JsonToken.VALUE_NULL) {
            return null;
        }
        throw NotPlain.INSTANCE;
    }

    /**
     * A blob member whose value token is current: a byte string (CBOR), base64 text decoded by the same
     * decoder as {@link Params#blob} (so padding is optional, line breaks are not allowed), or {@code null}.
     */
    static byte[] blob(JsonParser p, JsonToken value) throws IOException, NotPlain {
        if (value == JsonToken.VALUE_EMBEDDED_OBJECT) {
            Object embedded = p.getEmbeddedObject();
            if (embedded == null || embedded instanceof byte[]) {
                return (byte[]) embedded;
            }
            throw NotPlain.INSTANCE;
        }
        if (value == JsonToken.VALUE_STRING) {
            char[] chars = p.getTextCharacters();
            int offset = p.getTextOffset();
            int length = p.getTextLength();
            // Base64.Decoder.decode(String) reads the text as ISO-8859-1, where other characters become '?'.
            byte[] latin1 = new byte[length];
            for (int i = 0; i < length; i++) {
                char c = chars[offset + i];
                latin1[i] = c <= 0xFF ? (byte) c : (byte) '?';
            }
            try {
                return Base64.getDecoder().decode(latin1);
            } catch (IllegalArgumentException e) {
                throw NotPlain.INSTANCE;
            }
        }
        if (value == JsonToken.VALUE_NULL) {
            return null;
        }
        throw NotPlain.INSTANCE;
    }

    /**
     * Skips a member the decoder does not read, decoding every scalar in it as the tree reader would, so
     * that a value the tree reader refuses (too long, badly encoded) is refused here too.
     */
    static void skip(JsonParser p, JsonToken value) throws IOException, NotPlain {
        int depth = 0;
        JsonToken t = value;
        while (true) {
            switch (t) {
                case START_OBJECT, START_ARRAY -> depth++;
                case END_OBJECT, END_ARRAY -> depth--;
                case FIELD_NAME -> {
                }
                case VALUE_STRING -> p.getText();
                case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> p.getNumberValue();
                case VALUE_EMBEDDED_OBJECT -> p.getEmbeddedObject();
                default -> {
                }
            }
            if (depth == 0) {
                return;
            }
            t = p.nextToken();
            if (t == null) {
                throw NotPlain.INSTANCE; // truncated
            }
        }
    }
}
