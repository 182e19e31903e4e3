package io.soma.streams.edge.auth;

import io.javalin.security.RouteRole;

/**
 * Route roles that are not capabilities. A route with no role at all still needs a valid bearer token:
 * forgetting to declare a route can only make it stricter, never open.
 */
public enum Access implements RouteRole {
    /** No bearer token needed: health, metrics, and the token exchange itself (it checks an API key). */
    PUBLIC
}
