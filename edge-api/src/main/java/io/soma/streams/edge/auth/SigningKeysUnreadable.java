package io.soma.streams.edge.auth;

import io.soma.streams.edge.http.ApiException;
import io.soma.streams.topologies.runtime.Settings;

/**
 * The signing keys in Redis were sealed with another {@code identity.keys.wrap.secret}: another deployment shares
 * this Redis and key prefix, or the secret changed. Tokens can be neither issued nor checked, so token routes answer
 * 503 (the instance is not ready) rather than 500; the keys are never replaced, another deployment may be using them.
 * The message names the setting and the fixes, never the secret or the key.
 */
public final class SigningKeysUnreadable extends ApiException {
    public static final String ERROR = "signing_keys_unreadable";

    SigningKeysUnreadable(String kid, String keysPattern) {
        super(503, ERROR, explain(kid, keysPattern));
    }

    static String explain(String kid, String keysPattern) {
        String setting = "identity.keys.wrap.secret (env " + Settings.envName("identity.keys.wrap.secret") + ")";
        return "the signing key " + kid + " in Redis was sealed with another " + setting + ": another deployment "
                + "shares this Redis and redis.key.prefix, or the secret changed. Start with the secret the keys were "
                + "sealed with (./soma demo keeps it in <stack.data.dir>/" + WrapSecretFile.NAME + "), or give this "
                + "deployment its own redis.key.prefix; only if no running deployment uses them, delete "
                + keysPattern + " (docs/runbooks/security.md#jwt-signing-keys)";
    }
}
