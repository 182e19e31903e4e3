package io.soma.streams.topologies.policy.detectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Credentials. The known formats are those their issuers document (fixed prefixes, lengths and alphabets), which is
 * what makes them recognisable without context; the prefixes are case-sensitive, as issued. A value of no known
 * format counts only next to a key-like word and only when it looks random: at least
 * {@value #ENTROPY_MIN_LENGTH} characters with a Shannon entropy of at least {@value #ENTROPY_THRESHOLD} bits per
 * character (English words and placeholders stay well below it; 20 random base62 characters are near 4.0).
 */
final class SecretDetectors {
    static final double ENTROPY_THRESHOLD = 3.5;
    static final int ENTROPY_MIN_LENGTH = 16;

    private static final ObjectMapper JSON = new ObjectMapper();

    private SecretDetectors() {
    }

    static final List<DetectorType> TYPES = List.of(
            new DetectorType(DetectorKind.SECRET, "aws", "AWS access key ids (AKIA/ASIA…, 20 characters) and secret"
                    + " access keys (40 characters) after an aws…secret… name",
                    Trigger.anyOfIgnoringCase("akia", "asia", "abia", "acca", "aws"),
                            CandidatePattern.of("(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])"
                            + "|(?i:aws[\\w.-]{0,20}secret[\\w.-]{0,20})[\"']?\\s*[:=]\\s*[\"']?"
                            + "[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])")),
            new DetectorType(DetectorKind.SECRET, "gcp", "Google Cloud API keys (AIza…, 39 characters) and OAuth"
                    + " access tokens (ya29.…)",
                    Trigger.anyOf("AIza", "ya29."), CandidatePattern.of("(?<![\\w-])AIza[0-9A-Za-z_-]{35}(?![\\w-])|(?<![\\w.])ya29\\.[0-9A-Za-z_-]{20,}")),
            new DetectorType(DetectorKind.SECRET, "azure", "Azure storage account keys (AccountKey=…, 88 base64"
                    + " characters) and Entra ID client secrets (…Q~…, 40 characters)",
                    Trigger.anyOf("AccountKey=", "Q~"), CandidatePattern.of("AccountKey=[A-Za-z0-9+/]{86}==|(?<![\\w~.-])[A-Za-z0-9_~.-]{3}\\dQ~"
                            + "[A-Za-z0-9_~.-]{31,34}(?![\\w~.-])")),
            new DetectorType(DetectorKind.SECRET, "github", "GitHub tokens (ghp_, gho_, ghu_, ghs_, ghr_ + 36;"
                    + " github_pat_ + 82)",
                    Trigger.anyOf("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"), CandidatePattern.of(
                            "(?<!\\w)(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82})(?!\\w)")),
            new DetectorType(DetectorKind.SECRET, "gitlab", "GitLab personal, project and group access tokens"
                    + " (glpat- + 20)", Trigger.anyOf("glpat-"),
                            CandidatePattern.of("(?<![\\w-])glpat-[A-Za-z0-9_-]{20}(?![\\w-])")),
            new DetectorType(DetectorKind.SECRET, "slack", "Slack tokens (xoxb-, xoxp-, xoxa-, xoxr-, xoxs-) and"
                    + " incoming-webhook URLs",
                    Trigger.anyOf("xox", "hooks.slack.com"), CandidatePattern.of("(?<![\\w-])xox[bpars]-[0-9A-Za-z-]{10,}"
                            + "|https://hooks\\.slack\\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]{16,}")),
            new DetectorType(DetectorKind.SECRET, "stripe", "Stripe secret and restricted keys (sk_/rk_ live or test);"
                    + " publishable pk_ keys are public and not matched",
                    Trigger.anyOf("sk_", "rk_"),
                            CandidatePattern.of("(?<!\\w)(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}(?!\\w)")),
            new DetectorType(DetectorKind.SECRET, "jwt", "JSON Web Tokens whose header decodes to JSON naming an alg",
                    Trigger.anyOf("eyJ"), CandidatePattern.of(
                            "(?<![\\w-])eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]*",
                            SecretDetectors::jwtHeader)),
            new DetectorType(DetectorKind.SECRET, "private_key", "PEM private keys (RSA, EC, DSA, OpenSSH,"
                    + " encrypted, PKCS#8), header to footer",
                    // the body as a PEM file has it or as JSON escapes it (a backslash, then n); without a footer,
                    // the base64 lines that follow the header (a key cut short must not leave its body in the clear)
                    Trigger.anyOf("-----BEGIN "), CandidatePattern.of("-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----"
                            + "(?:[A-Za-z0-9+/=\\s:,\\\\-]{0,16384}?-----END [A-Z ]{0,20}PRIVATE KEY-----"
                            + "|[A-Za-z0-9+/=\\r\\n\\\\]{0,16384})")),
            new DetectorType(DetectorKind.SECRET, "database_url", "database and broker URLs with a password"
                    + " (postgres, mysql, mongodb, redis, amqp, sqlserver, jdbc:…); placeholders are not matched",
                    Trigger.anyOf("://"), new CandidatePattern(Pattern.compile("(?i)\\b(?:jdbc:)?(?:postgres(?:ql)?|mysql"
                            + "|mariadb|mongodb(?:\\+srv)?|rediss?|amqps?|sqlserver|mssql|oracle):"
                            + "//[^\\s:/@]{1,128}:([^\\s@/]{1,256})@[^\\s/]{1,256}"), 0,
                            CandidatePattern.whole(SecretDetectors::realPassword))),
            new DetectorType(DetectorKind.SECRET, "high_entropy", "values of at least " + ENTROPY_MIN_LENGTH
                    + " characters with Shannon entropy >= " + ENTROPY_THRESHOLD + " bits/char, assigned to a"
                    + " key-like name (api_key, secret, token, password, credentials, …)",
                    Trigger.anyOfIgnoringCase("key", "secret", "token", "passw", "pwd", "credential"),
                            new CandidatePattern(Pattern.compile("(?i)\\b(?:api[_-]?key|apikey|secret"
                            + "|token|passw(?:or)?d|pwd|access[_-]?key|auth[_-]?key|credentials?|private[_-]?key"
                            + "|client[_-]?secret)[\"']?\\s*(?:[:=]|=>|\\bis\\b)\\s*[\"']?"
                            + "([A-Za-z0-9+/_.~=-]{" + ENTROPY_MIN_LENGTH + ",})"), 1,
                            CandidatePattern.whole(SecretDetectors::looksRandom))));

    static boolean looksRandom(String value) {
        return Checksums.shannonEntropy(value) >= ENTROPY_THRESHOLD;
    }

    private static boolean jwtHeader(String token) {
        try {
            JsonNode header = JSON.readTree(Base64.getUrlDecoder().decode(token.substring(0, token.indexOf('.'))));
            return header != null && header.hasNonNull("alg");
        } catch (IOException | IllegalArgumentException e) {
            return false;
        }
    }

    /** Documentation writes {@code user:password@}, {@code user:<pass>@} or {@code ${DB_PASS}}; none is a secret. */
    private static final Set<String> PLACEHOLDERS = Set.of("password", "pass", "passwd", "pwd", "secret", "changeme",
            "xxx", "xxxx", "****", "...", "your_password", "yourpassword", "mypassword");

    private static boolean realPassword(String url) {
        int colon = url.indexOf(':', url.indexOf("//"));
        String password = url.substring(colon + 1, url.indexOf('@', colon));
        String lower = password.toLowerCase(Locale.ROOT);
        return !PLACEHOLDERS.contains(lower) && !password.startsWith("<") && !password.startsWith("${")
                && !password.startsWith("{") && !password.startsWith("%") && !password.chars().allMatch(c -> c == '*');
    }
}
