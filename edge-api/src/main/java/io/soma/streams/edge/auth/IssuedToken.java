package io.soma.streams.edge.auth;

/** A freshly signed JWT and what it says. */
public record IssuedToken(String token, Principal claims) {
}
