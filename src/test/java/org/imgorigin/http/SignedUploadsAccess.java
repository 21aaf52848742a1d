package org.imgorigin.http;

/** For tests in other packages: signed upload paths as the server computes them. */
public final class SignedUploadsAccess {
    private SignedUploadsAccess() {
    }

    public static String sign(String token, long expires, String nonce) {
        return SignedUploads.sign(token, expires, nonce);
    }
}
