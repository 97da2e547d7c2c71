package io.pharos.proxy.continuity.journal;

/** Bytes that are not a record of a known codec version: a length out of bounds, a truncated field, trailing bytes. */
public final class MalformedRecordException extends RuntimeException {
    MalformedRecordException(String message) {
        super(message);
    }
}
