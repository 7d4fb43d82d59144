package dev.eddy.api.kinesis;

/**
 * The credential scope of an AWS Signature V4 {@code Authorization} header, parsed but not verified
 * (verification comes with configured credentials). Immutable.
 *
 * @param accessKeyId the access key id
 * @param date        the scope date, {@code yyyyMMdd}
 * @param region      the scope region
 * @param service     the scope service, e.g. {@code kinesis}
 */
public record SigV4(String accessKeyId, String date, String region, String service) {

    private static final String ALGORITHM = "AWS4-HMAC-SHA256";

    /**
     * Parses the header. Returns {@code null} when there is none (unsigned requests are allowed while
     * verification is off); a malformed V4 header is an {@code IncompleteSignatureException}.
     */
    public static SigV4 parse(String authorization) {
        if (authorization == null || authorization.isBlank()) {
            return null;
        }
        String header = authorization.trim();
        if (!header.startsWith(ALGORITHM)) {
            throw incomplete("Authorization header requires the " + ALGORITHM + " algorithm");
        }
        String credential = null;
        for (String part : header.substring(ALGORITHM.length()).split(",")) {
            String p = part.trim();
            if (p.startsWith("Credential=")) {
                credential = p.substring("Credential=".length());
            }
        }
        if (credential == null) {
            throw incomplete("Authorization header requires 'Credential' parameter. Authorization=" + header);
        }
        String[] scope = credential.split("/");
        if (scope.length != 5 || !"aws4_request".equals(scope[4])) {
            throw incomplete("Credential should be scoped to a valid region, not '" + credential + "'");
        }
        return new SigV4(scope[0], scope[1], scope[2], scope[3]);
    }

    private static KinesisException incomplete(String message) {
        return new KinesisException("IncompleteSignatureException", 400, message);
    }
}
