package io.soma.streams.schemas;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A URL or connection string as it may be logged or put in an error message: the password of its user info
 * ({@code redis://:secret@host}, {@code http://user:secret@host}) and the value of a secret-looking query parameter
 * ({@code jdbc:postgresql://host/db?password=secret}) become {@value #MASK}. The one place that does this.
 */
public final class RedactedUrl {
    public static final String MASK = "****";
    /**
     * Greedy up to the last '@' that a host (and port) follows, so that an unescaped '@', '/', '?' or '#' in a
     * password is masked too. An '@' in a path or query that a host-like word follows is masked with it: more than
     * the secret, never less.
     */
    private static final Pattern USER_INFO = Pattern.compile(
            "^([A-Za-z][A-Za-z0-9+.:-]*://)(.*)@(?=[A-Za-z0-9.\\[\\]:-]+(?:[/?#]|$))");
    private static final Pattern SECRET_PARAMETER =
            Pattern.compile("(?i)([?&;](?:[a-z]*password|passwd|pwd|secret|token|api[_-]?key)=)[^&;#]*");

    private RedactedUrl() {
    }

    /**
     * {@code url} as a URI, or an {@link IllegalArgumentException} naming {@code setting} and the URL redacted: the
     * parser's own message quotes the URL whole, password included.
     */
    public static URI parse(String setting, String url) {
        try {
            return new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(setting + " " + of(url) + " is not a URL: " + e.getReason()
                    + " at index " + e.getIndex());
        }
    }

    public static String of(String url) {
        if (url == null) {
            return null;
        }
        String redacted = url;
        Matcher userInfo = USER_INFO.matcher(url);
        if (userInfo.find()) {
            String info = userInfo.group(2);
            int colon = info.indexOf(':');
            // a user info without ':' may be a password alone (redis://secret@host): all of it goes
            String masked = colon < 0 ? MASK : info.substring(0, colon + 1) + MASK;
            redacted = userInfo.group(1) + masked + "@" + url.substring(userInfo.end());
        }
        return SECRET_PARAMETER.matcher(redacted).replaceAll("$1" + MASK);
    }
}
