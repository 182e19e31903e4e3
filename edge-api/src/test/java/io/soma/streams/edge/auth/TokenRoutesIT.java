package io.soma.streams.edge.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.javalin.Javalin;
import io.soma.streams.edge.http.ErrorResponses;
import io.soma.streams.edge.tenancy.TenantGuard;
import io.soma.streams.edge.tenancy.TenantScope;
import io.soma.streams.stores.archive.PostgresPool;
import io.soma.streams.testkit.Await;
import io.soma.streams.testkit.PrivateSchema;
import io.soma.streams.testkit.RedisNamespace;
import io.soma.streams.testkit.TestPaths;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.JedisPooled;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.javalin.apibuilder.ApiBuilder.get;
import static io.javalin.apibuilder.ApiBuilder.path;
import static io.javalin.apibuilder.ApiBuilder.post;
import static org.assertj.core.api.Assertions.assertThat;

/** The token endpoints and the access check on a real Javalin edge, with the real Redis and PostgreSQL. */
class TokenRoutesIT {
    private static final TokenLifetime LIFETIME = new TokenLifetime(Duration.ofHours(1), Duration.ofSeconds(30));
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    private static final ObjectMapper json = new ObjectMapper();
    /** one lookup at a time, below the pool's two connections */
    private static final ApiKeyLookupLimit API_KEY_LOOKUPS = new ApiKeyLookupLimit(1, Duration.ofSeconds(1));
    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(REQUEST_TIMEOUT).build();

    private static RedisNamespace namespace;
    private static PrivateSchema schema;
    private static JedisPooled redis;
    private static PostgresPool postgres;
    private static IdentityStore identities;
    private static RecordingAuditSink audit;
    private static SigningKeys keys;
    private static String constitutionHash;
    private static Javalin app;
    private static String tenantA;
    private static String tenantB;
    private static String adminKey;
    private static String analystKey;
    private static String operatorKey;

    @BeforeAll
    static void startEdge() throws Exception {
        List<String> tenants = AuthTestSupport.realTenants(2);
        tenantA = tenants.get(0);
        tenantB = tenants.get(1);
        namespace = RedisNamespace.create("token_routes");
        redis = namespace.redis();
        schema = PrivateSchema.create("token_routes");
        postgres = new PostgresPool(schema.jdbcUrl(), schema.user(), "", 2);
        identities = new IdentityStore(postgres.dataSource(), schema.name());
        identities.migrate();
        adminKey = AuthTestSupport.randomKey();
        identities.bootstrapAdmin(tenantA, "admin", adminKey);
        identities.saveUser(new Identity(tenantA, "analyst", EnumSet.of(Capability.CONVERSATION, Capability.FORECAST_READ)));
        analystKey = identities.createApiKey(tenantA, "analyst", "test");
        identities.saveUser(new Identity(tenantB, "operator", EnumSet.of(Capability.CONVERSATION)));
        operatorKey = identities.createApiKey(tenantB, "operator", "test");

        // stands in for the active constitution's hash: the SHA-256 of a real policy dataset
        Path prompts = TestPaths.dataDir().resolve("xstest/xstest_prompts.csv");
        constitutionHash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(prompts)));
        audit = new RecordingAuditSink();
        keys = new SigningKeys(redis, namespace.prefix(), KeySeal.withSecret(AuthTestSupport.randomBytes()), LIFETIME, Clock.systemUTC());
        app = edgeWith(keys);
    }

    /** The token routes and the access check, signing with {@code signingKeys}. */
    private static Javalin edgeWith(SigningKeys signingKeys) {
        TokenService tokens = tokenService(signingKeys, Clock.systemUTC());
        AuthHandler auth = new AuthHandler(tokens);
        TokenRoutes routes = new TokenRoutes(tokens, identities, auth, API_KEY_LOOKUPS, () -> null);

        Javalin edge = Javalin.create(config -> {
            config.showJavalinBanner = false;
            config.router.apiBuilder(() -> {
                get("/health/live", ctx -> ctx.result("ok"), Access.PUBLIC);
                path("/v1/tokens", () -> {
                    // rate limits are EdgeContractIT's
                    post("/issue", ctx -> routes.issue(ctx, tenant -> { }), Access.PUBLIC);
                    post("/verify", routes::verify, TenantScope.CALLER);
                    post("/revoke", routes::revoke, TenantScope.CALLER);
                });
                get("/v1/audit/decisions", ctx -> ctx.json(Map.of("caller", AuthHandler.principal(ctx).subject())),
                        TenantScope.QUERY, Capability.AUDIT_READ);
                get("/v1/training/status/{tenant}", ctx -> ctx.json(Map.of("tenant", TenantGuard.tenant(ctx))),
                        TenantScope.PATH, Capability.CONVERSATION, Capability.TRAINING_ADMIN);
                // a route whose declaration forgot that its path names the tenant: its handler would serve any
                get("/v1/misdeclared/{tenant}", ctx -> ctx.json(Map.of("tenant", ctx.pathParam("tenant"))),
                        TenantScope.CALLER, Capability.CONVERSATION);
            });
        });
        edge.beforeMatched(auth);
        ErrorResponses.install(edge);
        return edge.start("127.0.0.1", 0);
    }

    @AfterAll
    static void stopEdge() {
        app.stop();
        postgres.close();
        schema.close();
        namespace.close();
    }

    private static TokenService tokenService(Clock clock) {
        return tokenService(keys, clock);
    }

    private static TokenService tokenService(SigningKeys signingKeys, Clock clock) {
        return new TokenService(signingKeys, redis, namespace.prefix(), audit, tenant -> constitutionHash, LIFETIME, clock);
    }

    @Test
    void shouldLetHealthThroughWithoutAToken() throws Exception {
        assertThat(send("GET", "/health/live", null, null).statusCode()).isEqualTo(200);
    }

    @Test
    void shouldChallengeARequestWithoutAToken() throws Exception {
        HttpResponse<String> response = send("GET", "/v1/audit/decisions", null, null);

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
        assertThat(reason(response)).isEqualTo("missing_token");
    }

    @Test
    void shouldIssueTheBootstrapAdminATokenWithEveryCapability() throws Exception {
        JsonNode issued = issue(Map.of("X-Api-Key", adminKey), "");

        JsonNode verified = body(send("POST", "/v1/tokens/verify", issued.get("token").asText(),
                "{\"token\":\"" + issued.get("token").asText() + "\"}"));

        assertThat(verified.get("valid").asBoolean()).isTrue();
        JsonNode claims = verified.get("claims");
        assertThat(claims.get("sub").asText()).isEqualTo("admin");
        assertThat(claims.get("tenant_id").asText()).isEqualTo(tenantA);
        assertThat(claims.get("constitution_hash").asText()).isEqualTo(constitutionHash);
        assertThat(names(claims.get("capabilities")))
                .containsExactlyInAnyOrderElementsOf(Capability.claimsOf(Capability.all()));
        assertThat(claims.get("exp").asLong() - claims.get("iat").asLong()).isEqualTo(LIFETIME.maxTtl().toSeconds());
        assertThat(send("GET", "/v1/audit/decisions", issued.get("token").asText(), null).statusCode()).isEqualTo(200);
    }

    @Test
    void shouldAcceptTheApiKeyInTheBodyAndNarrowTheCapabilities() throws Exception {
        JsonNode issued = issue(Map.of(), "{\"api_key\":\"" + analystKey + "\",\"capabilities\":[\"forecast.read\"],"
                + "\"ttl_seconds\":600}");

        assertThat(issued.get("sub").asText()).isEqualTo("analyst");
        assertThat(names(issued.get("capabilities"))).containsExactly("forecast.read");
        assertThat(issued.get("expires_in").asLong()).isEqualTo(600);
    }

    @Test
    void shouldRefuseAnUnknownApiKeyOrAnEscalation() throws Exception {
        String unknownKey = AuthTestSupport.randomKey();
        assertThat(send("POST", "/v1/tokens/issue", null, "{\"api_key\":\"" + unknownKey + "\"}").statusCode())
                .isEqualTo(401);
        assertThat(send("POST", "/v1/tokens/issue", null, "{\"api_key\":\"" + analystKey + "\","
                + "\"capabilities\":[\"audit.read\"]}").statusCode()).isEqualTo(403);
    }

    @Test
    void shouldRefuseAnExpiredToken() throws Exception {
        String expired = tokenService(Clock.offset(Clock.systemUTC(), Duration.ofHours(-2)))
                .issue(new TokenRequest("admin", tenantA, Capability.all(), null), "test").token();

        HttpResponse<String> response = send("GET", "/v1/audit/decisions", expired, null);

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(reason(response)).isEqualTo("expired");
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v ->
                assertThat(v).contains("error=\"invalid_token\""));
    }

    @Test
    void shouldRefuseATokenWhosePayloadWasChanged() throws Exception {
        String token = issue(Map.of("X-Api-Key", analystKey), "").get("token").asText();
        String[] parts = token.split("\\.");
        ObjectNode payload = (ObjectNode) json.readTree(Base64.getUrlDecoder().decode(parts[1]));
        ((ArrayNode) payload.get("capabilities")).add("audit.read");
        String tampered = parts[0] + "." + Base64.getUrlEncoder().withoutPadding()
                .encodeToString(json.writeValueAsBytes(payload)) + "." + parts[2];

        HttpResponse<String> response = send("GET", "/v1/audit/decisions", tampered, null);

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(reason(response)).isEqualTo("bad_signature");
    }

    @Test
    void shouldRefuseATokenSignedByAnUnknownKey() throws Exception {
        ECKey stranger = new ECKeyGenerator(Curve.P_256).keyID("k-stranger").generate();
        Instant now = Instant.now();
        SignedJWT forged = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(stranger.getKeyID()).build(),
                new JWTClaimsSet.Builder().subject("admin").claim("tenant_id", tenantA)
                        .claim("capabilities", List.of("audit.read")).issueTime(Date.from(now))
                        .expirationTime(Date.from(now.plusSeconds(600))).jwtID(UUID.randomUUID().toString()).build());
        forged.sign(new ECDSASigner(stranger));

        HttpResponse<String> response = send("GET", "/v1/audit/decisions", forged.serialize(), null);

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(reason(response)).isEqualTo("unknown_key");
    }

    @Test
    void shouldRefuseAnAcceptedTokenOnceItsKeyIsGone() throws Exception {
        JsonNode issued = issue(Map.of("X-Api-Key", analystKey), "");
        String token = issued.get("token").asText();
        HttpResponse<String> accepted = send("GET", "/v1/training/status/" + tenantA, token, null);
        // the key retires and, its lifetime over, leaves Redis: the token's signature was checked (and remembered)
        // while the key was there, but from now on nothing may vouch for it
        keys.rotate();
        redis.del(namespace.prefix() + "identity:keys:jwk:" + issued.get("kid").asText());

        HttpResponse<String> afterKeyGone = send("GET", "/v1/training/status/" + tenantA, token, null);

        assertThat(accepted.statusCode()).isNotEqualTo(401);
        assertThat(afterKeyGone.statusCode()).isEqualTo(401);
        assertThat(reason(afterKeyGone)).isEqualTo("unknown_key");
    }

    @Test
    void shouldRefuseARevokedTokenAndAuditEachRepeatAsTheFirstRevocation() throws Exception {
        JsonNode issued = issue(Map.of("X-Api-Key", analystKey), "");
        String token = issued.get("token").asText();
        String jti = issued.get("jti").asText();
        String revokeBody = "{\"jti\":\"" + jti + "\"}";

        JsonNode first = body(send("POST", "/v1/tokens/revoke", token, revokeBody));
        HttpResponse<String> afterRevocation = send("GET", "/v1/training/status/" + tenantA, token, null);
        String adminToken = issue(Map.of("X-Api-Key", adminKey), "").get("token").asText();
        JsonNode second = body(send("POST", "/v1/tokens/revoke", adminToken, revokeBody));

        assertThat(first.get("already_revoked").asBoolean()).isFalse();
        assertThat(afterRevocation.statusCode()).isEqualTo(401);
        assertThat(reason(afterRevocation)).isEqualTo("revoked");
        assertThat(second.get("already_revoked").asBoolean()).isTrue();
        assertThat(audit.events(IdentityEvent.TOKEN_ISSUED, jti)).hasSize(1);
        // the repeat records the first revocation again, under its event id: an audit write the first one lost is
        // made good by a retry, and the archive keeps one row
        List<IdentityEvent> revocations = audit.events(IdentityEvent.TOKEN_REVOKED, jti);
        assertThat(revocations).hasSize(2).allSatisfy(event -> {
            assertThat(event.tenant()).isEqualTo(tenantA);
            assertThat(event.subject()).isEqualTo("analyst");
            assertThat(event.actor()).isEqualTo("analyst");
            assertThat(event.actorTenant()).isEqualTo(tenantA);
            assertThat(event.kid()).isEqualTo(issued.get("kid").asText());
        });
        assertThat(revocations).extracting(IdentityEvent::eventId).containsOnly(revocations.get(0).eventId());
        long ttl = redis.pttl(namespace.prefix() + "identity:revoked:" + jti);
        assertThat(ttl).isPositive()
                .isLessThanOrEqualTo(LIFETIME.maxTtl().plus(LIFETIME.clockSkew().multipliedBy(2)).toMillis());
    }

    /**
     * An edge whose clock runs 28 s behind Redis's (within the 30 s skew) accepts a token 28 s longer by Redis's clock:
     * the revocation must outlive that, not vanish when the token's acceptance ends on Redis's clock. The slow edge
     * still accepts the token for 26 s after it was issued: room for a loaded machine to issue, revoke and verify.
     */
    @Test
    void shouldStillRefuseARevokedTokenOnAnEdgeWhoseClockRunsBehindRedis() {
        Duration behind = Duration.ofSeconds(28);
        // issued so long ago that, by Redis's clock, its acceptance (exp + skew) ended 2 s ago
        Clock issuedThen = Clock.offset(Clock.systemUTC(), LIFETIME.maxTtl().plus(LIFETIME.clockSkew())
                .plusSeconds(2).negated());
        TokenService issuer = tokenService(issuedThen);
        IssuedToken issued = issuer.issue(new TokenRequest("analyst", tenantA, Set.of(Capability.AUDIT_READ), null),
                "test");
        issuer.revoke(issued.claims(), issued.claims());

        TokenVerification onSlowEdge = tokenService(Clock.offset(Clock.systemUTC(), behind.negated()))
                .verify(issued.token());

        assertThat(onSlowEdge).isInstanceOfSatisfying(TokenVerification.Invalid.class,
                invalid -> assertThat(invalid.reason()).isEqualTo(TokenVerification.Reason.REVOKED));
    }

    @Test
    void shouldAnswerARevocationOfAnotherTenantsTokenAsUnknown() throws Exception {
        String jti = issue(Map.of("X-Api-Key", analystKey), "").get("jti").asText();
        String operatorToken = issue(Map.of("X-Api-Key", operatorKey), "").get("token").asText();

        HttpResponse<String> response = send("POST", "/v1/tokens/revoke", operatorToken, "{\"jti\":\"" + jti + "\"}");

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(audit.events(IdentityEvent.TOKEN_REVOKED, jti)).isEmpty();
    }

    @Test
    void shouldForbidARouteWhoseCapabilityTheTokenLacks() throws Exception {
        String token = issue(Map.of("X-Api-Key", analystKey), "").get("token").asText();

        HttpResponse<String> response = send("GET", "/v1/audit/decisions", token, null);

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(body(response).get("details").get("required_capabilities").get(0).asText()).isEqualTo("audit.read");
    }

    @Test
    void shouldKeepACallerToItsOwnTenantUnlessItIsAPlatformOperator() throws Exception {
        String analyst = issue(Map.of("X-Api-Key", analystKey), "").get("token").asText();
        String admin = issue(Map.of("X-Api-Key", adminKey), "").get("token").asText();

        assertThat(send("GET", "/v1/training/status/" + tenantA, analyst, null).statusCode()).isEqualTo(200);
        assertThat(send("GET", "/v1/training/status/" + tenantB, analyst, null).statusCode()).isEqualTo(403);
        assertThat(send("GET", "/v1/training/status/" + tenantB, admin, null).statusCode()).isEqualTo(200);
    }

    @Test
    void shouldRefuseARouteWithATenantInItsPathThatDeclaresAnotherScope() throws Exception {
        String analyst = issue(Map.of("X-Api-Key", analystKey), "").get("token").asText();

        HttpResponse<String> response = send("GET", "/v1/misdeclared/" + tenantB, analyst, null);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(500);
        assertThat(json.readTree(response.body()).get("error").asText()).isEqualTo("route_without_tenant_scope");
        assertThat(response.body()).doesNotContain("\"tenant\":\"" + tenantB + "\"");
    }

    @Test
    void shouldStillAcceptATokenSignedBeforeARotationUntilItExpires() throws Exception {
        JsonNode before = issue(Map.of("X-Api-Key", adminKey), "");
        String token = before.get("token").asText();

        keys.rotate();
        JsonNode after = issue(Map.of("X-Api-Key", adminKey), "");

        assertThat(after.get("kid").asText()).isNotEqualTo(before.get("kid").asText());
        assertThat(send("GET", "/v1/audit/decisions", token, null).statusCode()).isEqualTo(200);
        Clock pastExpiry = Clock.offset(Clock.systemUTC(), LIFETIME.maxTtl().plus(LIFETIME.clockSkew()).plusSeconds(1));
        assertThat(tokenService(pastExpiry).verify(token)).isInstanceOfSatisfying(TokenVerification.Invalid.class,
                invalid -> assertThat(invalid.reason()).isEqualTo(TokenVerification.Reason.EXPIRED));
    }

    @Test
    void shouldLetAnIdentityAdminIssueForAnotherSubjectWithinItsOwnCapabilities() throws Exception {
        String admin = issue(Map.of("X-Api-Key", adminKey), "").get("token").asText();
        String analyst = issue(Map.of("X-Api-Key", analystKey), "").get("token").asText();
        identities.saveUser(new Identity(tenantB, "gateway-1", EnumSet.of(Capability.CONVERSATION)));
        String request = "{\"subject\":\"gateway-1\",\"tenant\":\"" + tenantB + "\",\"capabilities\":[\"conversation\"]}";

        HttpResponse<String> delegated = send("POST", "/v1/tokens/issue", admin, request);
        HttpResponse<String> refused = send("POST", "/v1/tokens/issue", analyst, request);

        assertThat(delegated.statusCode()).isEqualTo(201);
        JsonNode issued = body(delegated);
        assertThat(issued.get("sub").asText()).isEqualTo("gateway-1");
        assertThat(issued.get("tenant_id").asText()).isEqualTo(tenantB);
        assertThat(audit.events(IdentityEvent.TOKEN_ISSUED, issued.get("jti").asText()))
                .singleElement().satisfies(event -> assertThat(event.actor()).isEqualTo("admin"));
        assertThat(refused.statusCode()).isEqualTo(403);
    }

    @Test
    void shouldNeverLetAnIssuedTokenOutliveTheTokenThatIssuedIt() throws Exception {
        JsonNode admin = issue(Map.of(), "{\"api_key\":\"" + adminKey + "\",\"ttl_seconds\":600}");
        identities.saveUser(new Identity(tenantA, "long-lived", EnumSet.of(Capability.CONVERSATION)));

        JsonNode child = body(send("POST", "/v1/tokens/issue", admin.get("token").asText(),
                "{\"subject\":\"long-lived\",\"tenant\":\"" + tenantA + "\",\"capabilities\":[\"conversation\"]}"));

        assertThat(child.get("exp").asLong()).isEqualTo(admin.get("exp").asLong());
    }

    @Test
    void shouldRevokeEveryTokenIssuedWithARevokedTokenDownTheChain() throws Exception {
        String root = issue(Map.of("X-Api-Key", adminKey), "").get("token").asText();
        identities.saveUser(new Identity(tenantA, "deputy", EnumSet.of(Capability.IDENTITY_ADMIN, Capability.CONVERSATION)));
        identities.saveUser(new Identity(tenantA, "gateway-2", EnumSet.of(Capability.CONVERSATION)));
        String deputy = body(send("POST", "/v1/tokens/issue", root, "{\"subject\":\"deputy\",\"tenant\":\"" + tenantA
                + "\",\"capabilities\":[\"identity.admin\",\"conversation\"]}")).get("token").asText();
        String gateway = body(send("POST", "/v1/tokens/issue", deputy, "{\"subject\":\"gateway-2\",\"tenant\":\""
                + tenantA + "\",\"capabilities\":[\"conversation\"]}")).get("token").asText();
        String verifyGateway = "{\"token\":\"" + gateway + "\"}";
        assertThat(body(send("POST", "/v1/tokens/verify", gateway, verifyGateway)).get("valid").asBoolean()).isTrue();

        String rootJti = body(send("POST", "/v1/tokens/verify", root, "{\"token\":\"" + root + "\"}"))
                .get("claims").get("jti").asText();
        assertThat(send("POST", "/v1/tokens/revoke", root, "{\"jti\":\"" + rootJti + "\"}").statusCode()).isEqualTo(200);

        for (String descendant : List.of(deputy, gateway)) {
            HttpResponse<String> refused = send("POST", "/v1/tokens/verify", descendant, verifyGateway);
            assertThat(refused.statusCode()).isEqualTo(401);
            assertThat(reason(refused)).isEqualTo("revoked");
        }
    }

    @Test
    void shouldGrantOnlyWhatTheSubjectAndTheIssuerHoldNow() throws Exception {
        identities.saveUser(new Identity(tenantA, "shrinking", EnumSet.of(Capability.CONVERSATION, Capability.FORECAST_READ)));
        identities.saveUser(new Identity(tenantA, "issuer", EnumSet.of(Capability.IDENTITY_ADMIN, Capability.CONVERSATION,
                Capability.FORECAST_READ)));
        String issuerKey = identities.createApiKey(tenantA, "issuer", "test");
        String issuer = issue(Map.of("X-Api-Key", issuerKey), "").get("token").asText();
        String forecastForShrinking = "{\"subject\":\"shrinking\",\"tenant\":\"" + tenantA
                + "\",\"capabilities\":[\"forecast.read\"]}";
        assertThat(send("POST", "/v1/tokens/issue", issuer, forecastForShrinking).statusCode()).isEqualTo(201);

        // the subject loses forecast.read: the next issue cannot grant it, though the issuer's token still carries it
        identities.saveUser(new Identity(tenantA, "shrinking", EnumSet.of(Capability.CONVERSATION)));
        assertThat(send("POST", "/v1/tokens/issue", issuer, forecastForShrinking).statusCode()).isEqualTo(403);
        // the issuer loses identity.admin: its token, still valid, issues nothing more
        identities.saveUser(new Identity(tenantA, "issuer", EnumSet.of(Capability.CONVERSATION)));
        assertThat(send("POST", "/v1/tokens/issue", issuer, "{\"subject\":\"shrinking\",\"tenant\":\"" + tenantA
                + "\",\"capabilities\":[\"conversation\"]}").statusCode()).isEqualTo(403);
        // nor for a user that does not exist
        identities.saveUser(new Identity(tenantA, "issuer", EnumSet.of(Capability.IDENTITY_ADMIN, Capability.CONVERSATION)));
        assertThat(send("POST", "/v1/tokens/issue", issuer, "{\"subject\":\"nobody\",\"tenant\":\"" + tenantA
                + "\",\"capabilities\":[\"conversation\"]}").statusCode()).isEqualTo(404);
    }

    /** Acting on another tenant is the platform operator's: one whose role was taken away issues there no more. */
    @Test
    void shouldNotIssueForAnotherTenantOncePlatformOperatorIsRemoved() throws Exception {
        identities.saveUser(new Identity(tenantB, "remote-user", EnumSet.of(Capability.CONVERSATION)));
        Set<Capability> operator = EnumSet.of(Capability.PLATFORM_OPERATOR, Capability.IDENTITY_ADMIN,
                Capability.CONVERSATION);
        identities.saveUser(new Identity(tenantA, "demoted", operator));
        String demotedKey = identities.createApiKey(tenantA, "demoted", "test");
        String token = issue(Map.of("X-Api-Key", demotedKey), "").get("token").asText();
        String forRemoteUser = "{\"subject\":\"remote-user\",\"tenant\":\"" + tenantB
                + "\",\"capabilities\":[\"conversation\"]}";
        HttpResponse<String> issued = send("POST", "/v1/tokens/issue", token, forRemoteUser);
        assertThat(issued.statusCode()).isEqualTo(201);
        // audited on the tenant acted on, with the operator's own tenant: not one of tenant B's users of that name
        assertThat(audit.events(IdentityEvent.TOKEN_ISSUED, body(issued).get("jti").asText())).singleElement()
                .satisfies(event -> {
                    assertThat(event.tenant()).isEqualTo(tenantB);
                    assertThat(event.actor()).isEqualTo("demoted");
                    assertThat(event.actorTenant()).isEqualTo(tenantA);
                });

        // the token still carries platform.operator, but its user no longer holds it
        operator.remove(Capability.PLATFORM_OPERATOR);
        identities.saveUser(new Identity(tenantA, "demoted", operator));
        HttpResponse<String> refused = send("POST", "/v1/tokens/issue", token, forRemoteUser);

        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(403);
        assertThat(refused.body()).contains("platform.operator");
        // nor may it retire another tenant's credentials
        HttpResponse<String> revoke = send("POST", "/v1/tokens/revoke", token,
                "{\"jti\":\"" + body(issued).get("jti").asText() + "\"}");
        assertThat(revoke.statusCode()).as(revoke.body()).isEqualTo(403);
        assertThat(revoke.body()).contains("platform.operator");
    }

    /**
     * A token names its subject, which some checks trust (a training lock's holder extends it without
     * training.admin): an admin issues only for users whose capabilities it holds itself, even a token asking for none.
     */
    @Test
    void shouldNotIssueForAUserWhoHoldsMoreThanTheAdmin() throws Exception {
        identities.saveUser(new Identity(tenantA, "narrow-admin", EnumSet.of(Capability.IDENTITY_ADMIN,
                Capability.CONVERSATION)));
        identities.saveUser(new Identity(tenantA, "trainer", EnumSet.of(Capability.TRAINING_ADMIN,
                Capability.CONVERSATION)));
        identities.saveUser(new Identity(tenantA, "chatter", EnumSet.of(Capability.CONVERSATION)));
        String admin = issue(Map.of("X-Api-Key", identities.createApiKey(tenantA, "narrow-admin", "test")), "")
                .get("token").asText();

        HttpResponse<String> refused = send("POST", "/v1/tokens/issue", admin, "{\"subject\":\"trainer\",\"tenant\":\""
                + tenantA + "\",\"capabilities\":[]}");
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(403);
        assertThat(body(refused).at("/details/required_capabilities").toString())
                .isEqualTo("[\"" + Capability.TRAINING_ADMIN.claim() + "\"]");
        HttpResponse<String> issued = send("POST", "/v1/tokens/issue", admin, "{\"subject\":\"chatter\",\"tenant\":\""
                + tenantA + "\",\"capabilities\":[\"conversation\"]}");
        assertThat(issued.statusCode()).as(issued.body()).isEqualTo(201);
    }

    @Test
    void shouldAnswerVerifyWithTheReasonOfAnInvalidToken() throws Exception {
        String caller = issue(Map.of("X-Api-Key", analystKey), "").get("token").asText();

        JsonNode answer = body(send("POST", "/v1/tokens/verify", caller, "{\"token\":\"not.a.jwt\"}"));

        assertThat(answer.get("valid").asBoolean()).isFalse();
        assertThat(answer.get("reason").asText()).isEqualTo("malformed");
    }

    @Test
    void shouldAnswer503NamingTheWrapSecretAndKeepTheKeysWhenAnotherSecretSealedThem() throws Exception {
        String token = issue(Map.of("X-Api-Key", adminKey), "").get("token").asText();
        String kid = keys.current().getKeyID();
        byte[] otherSecret = AuthTestSupport.randomBytes();
        Javalin otherDeployment = edgeWith(new SigningKeys(redis, namespace.prefix(), KeySeal.withSecret(otherSecret),
                LIFETIME, Clock.systemUTC()));
        try {
            HttpResponse<String> issued = send(otherDeployment, "POST", "/v1/tokens/issue", null,
                    "{\"api_key\":\"" + adminKey + "\"}");
            HttpResponse<String> checked = send(otherDeployment, "GET", "/v1/audit/decisions", token, null);

            assertThat(List.of(issued, checked)).allSatisfy(response -> {
                assertThat(response.statusCode()).as(response.body()).isEqualTo(503);
                JsonNode error = body(response);
                assertThat(error.get("error").asText()).isEqualTo(SigningKeysUnreadable.ERROR);
                assertThat(error.get("message").asText()).contains("identity.keys.wrap.secret")
                        .contains(namespace.prefix() + "identity:keys:*")
                        .doesNotContain(Base64.getEncoder().encodeToString(otherSecret));
            });
        } finally {
            otherDeployment.stop();
        }
        assertThat(keys.current().getKeyID()).as("the first deployment's key is kept").isEqualTo(kid);
        assertThat(send("GET", "/v1/audit/decisions", token, null).statusCode()).isEqualTo(200);
    }

    @Test
    void shouldRefuseApiKeyExchangesBeyondTheBoundAndLeaveConnectionsToOthers() throws Exception {
        try (Connection locker = DriverManager.getConnection(schema.jdbcUrl(), schema.user(), "");
             Connection observer = DriverManager.getConnection(schema.jdbcUrl(), schema.user(), "")) {
            locker.setAutoCommit(false);
            try (Statement lock = locker.createStatement()) {
                // every key lookup now waits in PostgreSQL, as under a flood of exchanges
                lock.execute("LOCK TABLE " + schema.name() + ".api_keys IN ACCESS EXCLUSIVE MODE");
            }
            CompletableFuture<HttpResponse<String>> held = http.sendAsync(issueRequest(AuthTestSupport.randomKey()),
                    HttpResponse.BodyHandlers.ofString());
            Await.until("the first exchange waits on the lock", REQUEST_TIMEOUT,
                    () -> lookupsWaitingOnLock(observer) == 1);
            List<CompletableFuture<HttpResponse<String>>> beyond = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                beyond.add(http.sendAsync(issueRequest(AuthTestSupport.randomKey()), HttpResponse.BodyHandlers.ofString()));
            }

            for (CompletableFuture<HttpResponse<String>> refused : beyond) {
                HttpResponse<String> response = refused.get(REQUEST_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                assertThat(response.statusCode()).as(response.body()).isEqualTo(503);
                assertThat(body(response).get("error").asText()).isEqualTo("busy");
                assertThat(response.headers().firstValue("Retry-After")).hasValue("1");
            }
            try (Connection other = postgres.dataSource().getConnection()) {
                assertThat(other.isValid(2)).as("a connection is left to everyone else").isTrue();
            }
            assertThat(lookupsWaitingOnLock(observer)).as("the first exchange still waits").isEqualTo(1);
            locker.rollback();
            assertThat(held.get(REQUEST_TIMEOUT.toSeconds(), TimeUnit.SECONDS).statusCode()).isEqualTo(401);
        }
    }

    /**
     * Key lookups of this test's schema waiting for a lock; {@code observer} is in autocommit mode, since a
     * transaction sees one snapshot of {@code pg_stat_activity} throughout.
     */
    private static int lookupsWaitingOnLock(Connection observer) {
        try (PreparedStatement query = observer.prepareStatement("SELECT count(*) FROM pg_stat_activity "
                + "WHERE wait_event_type = 'Lock' AND position(? in query) > 0")) {
            query.setString(1, schema.name() + ".api_keys");
            ResultSet rows = query.executeQuery();
            rows.next();
            return rows.getInt(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static HttpRequest issueRequest(String apiKey) {
        return HttpRequest.newBuilder(uri("/v1/tokens/issue")).timeout(REQUEST_TIMEOUT)
                .header("X-Api-Key", apiKey).POST(HttpRequest.BodyPublishers.noBody()).build();
    }

    private static JsonNode issue(Map<String, String> headers, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri("/v1/tokens/issue")).timeout(REQUEST_TIMEOUT)
                .POST(HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(request::header);
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        assertThat(response.headers().firstValue("Cache-Control")).as("a token no cache keeps").hasValue("no-store");
        return body(response);
    }

    private static HttpResponse<String> send(String method, String path, String bearer, String body) throws Exception {
        return send(app, method, path, bearer, body);
    }

    private static HttpResponse<String> send(Javalin edge, String method, String path, String bearer, String body)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(edge, path)).timeout(REQUEST_TIMEOUT).method(method,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private static URI uri(String path) {
        return uri(app, path);
    }

    private static URI uri(Javalin edge, String path) {
        return URI.create("http://127.0.0.1:" + edge.port() + path);
    }

    private static JsonNode body(HttpResponse<String> response) throws Exception {
        return json.readTree(response.body());
    }

    private static String reason(HttpResponse<String> response) throws Exception {
        return body(response).get("details").get("reason").asText();
    }

    private static List<String> names(JsonNode array) {
        List<String> names = new ArrayList<>();
        array.forEach(name -> names.add(name.asText()));
        return names;
    }

}
