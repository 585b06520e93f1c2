package io.keycloaksentinel.admin;

import jakarta.ws.rs.core.Response;
import java.util.function.Function;
import java.util.function.Supplier;

/** The admin API's answers: 200 with the body, or an error whose body {@code {"error": "..."}} says why. */
final class Answers {

    /** The body of every error answer. */
    public record ErrorBody(String error) {
    }

    private Answers() {
    }

    static Response ok(Object body) {
        return Response.ok(body).build();
    }

    /**
     * What {@code then} answers for the value {@code validate} gives; or, when that throws an
     * {@link IllegalArgumentException}, a 400 with its message (nothing else done).
     */
    static <T> Response validated(Supplier<T> validate, Function<T, Response> then) {
        T value;
        try {
            value = validate.get();
        } catch (IllegalArgumentException e) {
            return badRequest(e.getMessage());
        }
        return then.apply(value);
    }

    /** 400: the request cannot be answered as sent; {@code message} says which part and why. */
    static Response badRequest(String message) {
        return error(Response.Status.BAD_REQUEST, message);
    }

    /** 404 for a user (or a user's device) that does not exist. */
    static Response notFound(String message) {
        return error(Response.Status.NOT_FOUND, message);
    }

    /** 503: the call needs the attack detector and it is not deployed. */
    static Response detectorNotDeployed() {
        return error(Response.Status.SERVICE_UNAVAILABLE, "the attack detector is not deployed");
    }

    private static Response error(Response.Status status, String message) {
        return Response.status(status).entity(new ErrorBody(message)).build();
    }
}
