package org.imgorigin.store;

import java.io.ByteArrayInputStream;
import java.net.SocketTimeoutException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.imgorigin.image.ImageId;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.exception.SdkServiceException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * Originals in an S3 bucket (or an S3-compatible store), at {@code <prefix>/3972/b1/3972b1…},
 * each object carrying its {@code Content-Type}.
 *
 * <p>The client is the SDK's synchronous {@link S3Client} over {@link UrlConnectionHttpClient}.
 * The asynchronous client needs Netty, whose version would clash with the Netty 4.2 that
 * Vert.x ships; the CRT client is native code built for other platforms and versions than
 * ours. A blocking call on a JDK virtual thread costs no platform thread and keeps the Vert.x
 * event loop free; since JDK 24 a virtual thread no longer pins its carrier inside
 * {@code synchronized}, so the locks in {@code HttpURLConnection} and the SDK cost nothing either.
 *
 * <p>Every call is bounded: 2 s to connect, 10 s without a byte, 10 s per attempt and 30 s in
 * all (retries included); in a multipart upload each part is a call of its own. Running out
 * of time is {@link StoreException.Kind#TIMEOUT} (504); any other failure is
 * {@link StoreException.Kind#FAILED} (502).
 *
 * <p>A put of up to 16 MiB is one PutObject. A larger body goes up as a multipart upload in
 * 8 MiB parts, one after another: a failed part is retried alone rather than the whole body,
 * and no single call has to carry more than a part within its time limit. Any failure, an
 * interruption included, aborts the upload, so S3 keeps neither an object nor orphaned parts
 * (which it would otherwise bill for indefinitely). The abort is best effort: if it fails
 * too, only a bucket lifecycle rule (AbortIncompleteMultipartUpload) clears the parts.
 *
 * <p>On AWS, a missing key answers 403 rather than 404 unless the credentials may
 * {@code s3:ListBucket}; without that permission every miss looks like a failure.
 */
final class S3Store implements OriginalStore {
    private static final String UNKNOWN_TYPE = "application/octet-stream";
    /** The journal's key prefix under the store's: beside the originals' hex directories, never one of them. */
    private static final String JOURNAL = "journal/";

    static {
        // HttpURLConnection keeps 5 idle connections per destination unless told otherwise
        // (read once, when its keep-alive cache is first used): under load every GET past the
        // fifth concurrent one opened a new connection to S3. An operator's own setting wins.
        if (System.getProperty("http.maxConnections") == null) {
            System.setProperty("http.maxConnections", "64");
        }
    }

    /** How long a call may take; tests shrink them to see a timeout in milliseconds. */
    record Timeouts(Duration connect, Duration socket, Duration attempt, Duration call) {
        static final Timeouts DEFAULT =
                new Timeouts(Duration.ofSeconds(2), Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(30));
    }

    /**
     * Bodies longer than {@code threshold} bytes go up in parts of {@code size} bytes (the last
     * one shorter); tests lower both to see a multipart upload with a few MiB.
     */
    record Parts(int threshold, int size) {
        /** S3 rejects a smaller part unless it is the last. */
        static final int MIN_SIZE = 5 << 20;
        static final Parts DEFAULT = new Parts(16 << 20, 8 << 20);

        Parts {
            if (size < MIN_SIZE) {
                throw new IllegalArgumentException("part size " + size + " is below S3's minimum of " + MIN_SIZE);
            }
            if (threshold < size) {
                throw new IllegalArgumentException("threshold " + threshold + " is below the part size " + size);
            }
        }
    }

    private final S3Settings settings;
    private final S3Client client;
    private final Parts parts;

    private S3Store(S3Settings settings, S3Client client, Parts parts) {
        this.settings = settings;
        this.client = client;
        this.parts = parts;
    }

    /** A store with credentials from the AWS default chain (environment, profiles, roles). */
    static S3Store open(S3Settings settings) {
        return open(settings, DefaultCredentialsProvider.builder().build(), Timeouts.DEFAULT, Parts.DEFAULT);
    }

    /** A store with the given credentials; tests pass static ones for their local server. */
    static S3Store open(S3Settings settings, AwsCredentialsProvider credentials, Timeouts timeouts) {
        return open(settings, credentials, timeouts, Parts.DEFAULT);
    }

    static S3Store open(S3Settings settings, AwsCredentialsProvider credentials, Timeouts timeouts, Parts parts) {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(credentials, "credentials");
        Objects.requireNonNull(timeouts, "timeouts");
        Objects.requireNonNull(parts, "parts");
        S3ClientBuilder builder = S3Client.builder()
                .httpClientBuilder(UrlConnectionHttpClient.builder()
                        .connectionTimeout(timeouts.connect())
                        .socketTimeout(timeouts.socket()))
                .overrideConfiguration(o -> o
                        .apiCallAttemptTimeout(timeouts.attempt())
                        .apiCallTimeout(timeouts.call()))
                // The SDK's default flexible checksums send aws-chunked bodies with trailers that
                // S3-compatible stores (S3Proxy, older MinIO and Ceph) reject with 501. Transit is
                // covered anyway: TLS on https, and over plain http SigV4 signs the payload hash.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .credentialsProvider(credentials)
                .region(Region.of(settings.region()))
                .forcePathStyle(settings.pathStyle());
        settings.endpoint().ifPresent(builder::endpointOverride);
        return new S3Store(settings, builder.build(), parts);
    }

    /**
     * One GET; the gate sees the object's {@code Content-Length} before the body is read, and
     * a refused body is aborted unread (the connection is dropped, not drained).
     */
    @Override
    public Optional<Original> fetch(ImageId id, SizeGate gate) throws StoreException {
        String key = settings.key(id.storageKey());
        RuntimeException[] refused = {null};
        String[] contentType = {UNKNOWN_TYPE};
        try {
            byte[] bytes = client.getObject(r -> r.bucket(settings.bucket()).key(key), (response, in) -> {
                long length = response.contentLength() == null ? -1 : response.contentLength();
                try {
                    long limit = Math.min(gate.admit(length), Integer.MAX_VALUE - 17);
                    contentType[0] = Optional.ofNullable(response.contentType()).orElse(UNKNOWN_TYPE);
                    if (length >= 0) {
                        byte[] body = in.readNBytes((int) Math.min(length, limit + 1));
                        if (body.length != length) {
                            // A body cut short: an error (the SDK retries it), never a shorter original.
                            throw new java.io.IOException("GetObject body ended after " + body.length + " of "
                                    + length + " bytes");
                        }
                        return body;
                    }
                    byte[] body = in.readNBytes((int) limit + 1);
                    if (body.length > limit) {
                        gate.admit(body.length); // more than it may read: the gate refuses
                    }
                    return body;
                } catch (RuntimeException e) {
                    refused[0] = e;
                    in.abort();
                    return null;
                }
            });
            if (refused[0] != null) {
                throw refused[0];
            }
            return Optional.of(new Original(bytes, contentType[0]));
        } catch (NoSuchKeyException e) {
            // Only a missing key: a missing bucket (also 404) is a failure, not an absent image.
            return Optional.empty();
        } catch (SdkException e) {
            if (refused[0] != null) {
                throw refused[0];
            }
            throw translate("GetObject", key, e);
        }
    }

    @Override
    public boolean exists(ImageId id) throws StoreException {
        String key = settings.key(id.storageKey());
        try {
            client.headObject(r -> r.bucket(settings.bucket()).key(key));
            return true;
        } catch (SdkServiceException e) {
            // A HEAD answer has no body, so a 404 cannot tell a missing key from a missing
            // bucket; check() is the place that finds the latter.
            if (e.statusCode() == 404) {
                return false;
            }
            throw translate("HeadObject", key, e);
        } catch (SdkException e) {
            throw translate("HeadObject", key, e);
        }
    }

    @Override
    public void put(ImageId id, byte[] bytes, String contentType) throws StoreException {
        String key = settings.key(id.storageKey());
        if (bytes.length > parts.threshold()) {
            putInParts(key, bytes, contentType);
            return;
        }
        try {
            client.putObject(
                    r -> r.bucket(settings.bucket()).key(key).contentType(contentType).contentLength((long) bytes.length),
                    slice(bytes, 0, bytes.length));
        } catch (SdkException e) {
            throw translate("PutObject", key, e);
        }
    }

    private void putInParts(String key, byte[] bytes, String contentType) throws StoreException {
        String uploadId;
        try {
            // The object's Content-Type is fixed here; the parts carry none of their own.
            uploadId = client.createMultipartUpload(r -> r.bucket(settings.bucket()).key(key).contentType(contentType))
                    .uploadId();
        } catch (SdkException e) {
            throw translate("CreateMultipartUpload", key, e);
        }
        String operation = "UploadPart";
        try {
            List<CompletedPart> done = new ArrayList<>();
            for (int offset = 0; offset < bytes.length; offset += parts.size()) {
                int number = done.size() + 1;
                int length = Math.min(parts.size(), bytes.length - offset);
                String eTag = client.uploadPart(
                        r -> r.bucket(settings.bucket()).key(key).uploadId(uploadId)
                                .partNumber(number).contentLength((long) length),
                        slice(bytes, offset, length)).eTag();
                done.add(CompletedPart.builder().partNumber(number).eTag(eTag).build());
            }
            operation = "CompleteMultipartUpload";
            client.completeMultipartUpload(r -> r.bucket(settings.bucket()).key(key).uploadId(uploadId)
                    .multipartUpload(u -> u.parts(done)));
        } catch (Throwable e) {
            // Whatever stopped the upload, its parts must not stay behind.
            abort(key, uploadId, e);
            if (e instanceof SdkException sdk) {
                throw translate(operation, key, sdk);
            }
            throw e;
        }
    }

    /** Best effort: a failure to abort is attached to the failure that caused it. */
    private void abort(String key, String uploadId, Throwable cause) {
        // An interrupted upload most needs cleaning up, but the SDK will not start a call on an
        // interrupted thread: clear the flag for the abort and set it again afterwards.
        boolean interrupted = Thread.interrupted();
        try {
            client.abortMultipartUpload(r -> r.bucket(settings.bucket()).key(key).uploadId(uploadId));
        } catch (SdkException e) {
            cause.addSuppressed(translate("AbortMultipartUpload", key, e));
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * A body over part of the array, which is not copied: callers hand it over, and retries
     * reopen a stream on the same bytes.
     */
    private static RequestBody slice(byte[] bytes, int offset, int length) {
        return RequestBody.fromContentProvider(
                ContentStreamProvider.fromInputStreamSupplier(() -> new ByteArrayInputStream(bytes, offset, length)),
                length, UNKNOWN_TYPE);
    }

    @Override
    public boolean delete(ImageId id) throws StoreException {
        // DeleteObject answers 204 whether or not the key existed, so ask first.
        if (!exists(id)) {
            return false;
        }
        String key = settings.key(id.storageKey());
        try {
            client.deleteObject(r -> r.bucket(settings.bucket()).key(key));
            return true;
        } catch (SdkException e) {
            throw translate("DeleteObject", key, e);
        }
    }

    @Override
    public void append(String name) throws StoreException {
        String key = settings.key(JOURNAL + Journal.checked(name));
        try {
            client.putObject(r -> r.bucket(settings.bucket()).key(key).contentLength(0L), RequestBody.empty());
        } catch (SdkException e) {
            throw translate("PutObject", key, e);
        }
    }

    @Override
    public List<String> entries(String startAfter, int max) throws StoreException {
        String prefix = settings.key(JOURNAL);
        try {
            // One page: ListObjectsV2 returns at most 1,000 keys, in key order, after StartAfter.
            var page = client.listObjectsV2(r -> r.bucket(settings.bucket()).prefix(prefix)
                    .startAfter(prefix + startAfter).maxKeys(Math.clamp(max, 1, 1_000)));
            List<String> names = new ArrayList<>(page.contents().size());
            for (var object : page.contents()) {
                names.add(object.key().substring(prefix.length()));
            }
            return names;
        } catch (SdkException e) {
            throw translate("ListObjectsV2", prefix, e);
        }
    }

    @Override
    public void removeEntry(String name) throws StoreException {
        String key = settings.key(JOURNAL + Journal.checked(name));
        try {
            client.deleteObject(r -> r.bucket(settings.bucket()).key(key));
        } catch (SdkException e) {
            throw translate("DeleteObject", key, e);
        }
    }

    @Override
    public void check() throws StoreException {
        try {
            client.headBucket(r -> r.bucket(settings.bucket()));
        } catch (SdkServiceException e) {
            if (e.statusCode() == 404) {
                throw new StoreException(StoreException.Kind.FAILED,
                        "bucket " + settings.bucket() + " does not exist" + endpointNote(), e);
            }
            throw translate("HeadBucket", "", e);
        } catch (SdkException e) {
            throw translate("HeadBucket", "", e);
        }
    }

    @Override
    public String describe() {
        return settings.url() + endpointNote();
    }

    @Override
    public void close() {
        client.close();
    }

    private String endpointNote() {
        return settings.endpoint().map(uri -> " at " + uri).orElse("");
    }

    private StoreException translate(String operation, String key, SdkException e) {
        StoreException.Kind kind = isTimeout(e) ? StoreException.Kind.TIMEOUT : StoreException.Kind.FAILED;
        String where = "s3://" + settings.bucket() + "/" + key + endpointNote();
        return new StoreException(kind, operation + " " + where + " failed: " + e.getMessage(), e);
    }

    /** The SDK reports running out of time in several shapes, some only as a cause. */
    private static boolean isTimeout(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ApiCallTimeoutException
                    || t instanceof ApiCallAttemptTimeoutException
                    || t instanceof SocketTimeoutException
                    || t instanceof HttpTimeoutException) {
                return true;
            }
        }
        return false;
    }
}
