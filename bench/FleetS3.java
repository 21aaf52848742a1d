import com.sun.net.httpserver.HttpServer;
import java.io.File;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;
import org.jclouds.blobstore.domain.Blob;
import org.jclouds.blobstore.domain.BlobMetadata;
import org.jclouds.blobstore.options.GetOptions;
import org.jclouds.blobstore.options.PutOptions;
import org.jclouds.blobstore.util.ForwardingBlobStore;

/**
 * bench/fleet.sh's S3: S3Proxy over a folder (jclouds' filesystem provider), counting what the
 * nodes ask of it, and stoppable, to play an S3 outage.
 *
 * <pre>java -cp &lt;test class path&gt; bench/FleetS3.java &lt;folder&gt; &lt;s3 port&gt; &lt;control port&gt; &lt;bucket&gt;</pre>
 *
 * Control, on 127.0.0.1:&lt;control port&gt;: {@code GET /counts} answers
 * {@code get=… get_bytes=… head=… put=… put_bytes=… delete=… up=1}; {@code POST /stop} stops
 * S3Proxy (connections refused until {@code POST /start}). Keys k / s.
 */
public final class FleetS3 {
    static final AtomicLong GETS = new AtomicLong(), GET_BYTES = new AtomicLong(), HEADS = new AtomicLong(),
            PUTS = new AtomicLong(), PUT_BYTES = new AtomicLong(), DELETES = new AtomicLong();

    static final class Counting extends ForwardingBlobStore {
        Counting(BlobStore delegate) {
            super(delegate);
        }

        private static Blob counted(Blob blob) {
            GETS.incrementAndGet();
            if (blob != null && blob.getMetadata().getContentMetadata().getContentLength() != null) {
                GET_BYTES.addAndGet(blob.getMetadata().getContentMetadata().getContentLength());
            }
            return blob;
        }

        @Override
        public Blob getBlob(String container, String name) {
            return counted(super.getBlob(container, name));
        }

        @Override
        public Blob getBlob(String container, String name, GetOptions options) {
            return counted(super.getBlob(container, name, options));
        }

        @Override
        public BlobMetadata blobMetadata(String container, String name) {
            HEADS.incrementAndGet();
            return super.blobMetadata(container, name);
        }

        private static void put(Blob blob) {
            PUTS.incrementAndGet();
            Long length = blob.getMetadata().getContentMetadata().getContentLength();
            if (length != null) {
                PUT_BYTES.addAndGet(length);
            }
        }

        @Override
        public String putBlob(String container, Blob blob) {
            put(blob);
            return super.putBlob(container, blob);
        }

        @Override
        public String putBlob(String container, Blob blob, PutOptions options) {
            put(blob);
            return super.putBlob(container, blob, options);
        }

        @Override
        public void removeBlob(String container, String name) {
            DELETES.incrementAndGet();
            super.removeBlob(container, name);
        }
    }

    static S3Proxy proxy;

    static synchronized void start(BlobStore blobs, int port) throws Exception {
        if (proxy != null) {
            return;
        }
        S3Proxy p = S3Proxy.builder().blobStore(blobs).endpoint(URI.create("http://127.0.0.1:" + port))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, "k", "s").build();
        p.start();
        while (!"STARTED".equals(p.getState())) {
            Thread.sleep(10);
        }
        proxy = p;
    }

    static synchronized void stop() throws Exception {
        if (proxy != null) {
            proxy.stop();
            proxy = null;
        }
    }

    public static void main(String[] args) throws Exception {
        File dir = new File(args[0]);
        int port = Integer.parseInt(args[1]);
        int control = Integer.parseInt(args[2]);
        String bucket = args[3];
        new File(dir, bucket).mkdirs();
        Properties props = new Properties();
        props.setProperty("jclouds.filesystem.basedir", dir.getAbsolutePath());
        BlobStoreContext context = ContextBuilder.newBuilder("filesystem").overrides(props)
                .credentials("k", "s").build(BlobStoreContext.class);
        BlobStore blobs = new Counting(context.getBlobStore());
        start(blobs, port);
        HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", control), 16);
        http.createContext("/", exchange -> {
            String answer;
            try {
                switch (exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath()) {
                    case "GET /counts" -> answer = "get=" + GETS + " get_bytes=" + GET_BYTES + " head=" + HEADS
                            + " put=" + PUTS + " put_bytes=" + PUT_BYTES + " delete=" + DELETES
                            + " up=" + (proxy != null ? 1 : 0) + "\n";
                    case "POST /stop" -> {
                        stop();
                        answer = "stopped\n";
                    }
                    case "POST /start" -> {
                        start(blobs, port);
                        answer = "started\n";
                    }
                    default -> answer = null;
                }
            } catch (Exception e) {
                answer = null;
            }
            byte[] body = (answer == null ? "no\n" : answer).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(answer == null ? 404 : 200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        http.start();
        System.out.println("fleet-s3: S3Proxy on 127.0.0.1:" + port + ", control on 127.0.0.1:" + control);
    }
}
