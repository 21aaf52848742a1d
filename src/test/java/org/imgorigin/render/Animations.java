package org.imgorigin.render;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;
import org.imgorigin.vips.Vips;
import org.imgorigin.vips.VipsScope;

/**
 * Animated GIFs made in the test from a real photo (each frame a window sliding across it),
 * written by the JDK's GIF encoder, not by libvips; and what libvips' own reader says of an
 * animation: frames, each frame's size, delays and loop count.
 */
public final class Animations {
    private Animations() {
    }

    /** What libvips reads from an animation's header. */
    public record Read(int width, int frameHeight, int frames, int[] delays, int loop) {
    }

    /**
     * {@code frames} frames of {@code width}×{@code height}, each a window of the photo moved
     * right by a step, shown {@code delaysCs[i]} hundredths of a second, looping {@code loop}
     * times (0: for ever).
     */
    public static byte[] slidingGif(byte[] photo, int width, int height, int[] delaysCs, int loop) throws Exception {
        BufferedImage source = Fixtures.decode(photo);
        List<BufferedImage> frames = new ArrayList<>();
        int step = (source.getWidth() - source.getHeight()) / Math.max(1, delaysCs.length);
        for (int i = 0; i < delaysCs.length; i++) {
            BufferedImage frame = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = frame.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.drawImage(source, 0, 0, width, height, i * step, 0, i * step + source.getHeight(), source.getHeight(),
                    null);
            g.dispose();
            frames.add(frame);
        }
        return gif(frames, (i, root) -> {
            IIOMetadataNode control = child(root, "GraphicControlExtension");
            control.setAttribute("disposalMethod", "none");
            control.setAttribute("userInputFlag", "FALSE");
            control.setAttribute("transparentColorFlag", "FALSE");
            control.setAttribute("delayTime", Integer.toString(delaysCs[i]));
            control.setAttribute("transparentColorIndex", "0");
            if (i == 0) {
                IIOMetadataNode netscape = new IIOMetadataNode("ApplicationExtension");
                netscape.setAttribute("applicationID", "NETSCAPE");
                netscape.setAttribute("authenticationCode", "2.0");
                netscape.setUserObject(new byte[] {1, (byte) (loop & 0xFF), (byte) ((loop >> 8) & 0xFF)});
                child(root, "ApplicationExtensions").appendChild(netscape);
            }
        });
    }

    /**
     * {@code frames} frames of {@code width}×{@code height}, each one flat colour, as an indexed
     * GIF: a frame bomb in pixels (frames × width × height) that is quick to write and small.
     */
    public static byte[] flatGif(int width, int height, int frames) throws Exception {
        List<BufferedImage> images = new ArrayList<>();
        for (int i = 0; i < frames; i++) {
            BufferedImage frame = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_INDEXED);
            java.util.Arrays.fill(((java.awt.image.DataBufferByte) frame.getRaster().getDataBuffer()).getData(),
                    (byte) (i * 7));
            images.add(frame);
        }
        return gif(images, null);
    }

    /** Two frames: 320×240, then 160×120 at (40, 30) inside the same canvas. */
    public static byte[] mixedSizeGif(byte[] photo) throws Exception {
        BufferedImage source = Fixtures.decode(photo);
        int[][] boxes = {{0, 0, 320, 240}, {40, 30, 160, 120}};
        List<BufferedImage> frames = new ArrayList<>();
        for (int[] box : boxes) {
            BufferedImage frame = new BufferedImage(box[2], box[3], BufferedImage.TYPE_INT_RGB);
            Graphics2D g = frame.createGraphics();
            g.drawImage(source, 0, 0, box[2], box[3], null);
            g.dispose();
            frames.add(frame);
        }
        return gif(frames, (i, root) -> {
            IIOMetadataNode descriptor = child(root, "ImageDescriptor");
            descriptor.setAttribute("imageLeftPosition", Integer.toString(boxes[i][0]));
            descriptor.setAttribute("imageTopPosition", Integer.toString(boxes[i][1]));
            descriptor.setAttribute("imageWidth", Integer.toString(boxes[i][2]));
            descriptor.setAttribute("imageHeight", Integer.toString(boxes[i][3]));
            descriptor.setAttribute("interlaceFlag", "FALSE");
            child(root, "GraphicControlExtension").setAttribute("delayTime", "10");
        });
    }

    /** The frames as a GIF by the JDK's encoder, each frame's metadata tree given to {@code customise} (may be null). */
    private static byte[] gif(List<BufferedImage> frames, BiConsumer<Integer, IIOMetadataNode> customise)
            throws Exception {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("gif").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            writer.setOutput(out);
            writer.prepareWriteSequence(null);
            for (int i = 0; i < frames.size(); i++) {
                BufferedImage frame = frames.get(i);
                IIOMetadata metadata = null;
                if (customise != null) {
                    metadata = writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(frame), null);
                    String format = metadata.getNativeMetadataFormatName();
                    IIOMetadataNode root = (IIOMetadataNode) metadata.getAsTree(format);
                    customise.accept(i, root);
                    metadata.setFromTree(format, root);
                }
                writer.writeToSequence(new IIOImage(frame, null, metadata), null);
            }
            writer.endWriteSequence();
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    private static IIOMetadataNode child(IIOMetadataNode root, String name) {
        for (int i = 0; i < root.getLength(); i++) {
            if (root.item(i).getNodeName().equalsIgnoreCase(name)) {
                return (IIOMetadataNode) root.item(i);
            }
        }
        IIOMetadataNode node = new IIOMetadataNode(name);
        root.appendChild(node);
        return node;
    }

    /** libvips' reading of an encoded animation (GIF or WebP). */
    public static Read read(byte[] encoded) {
        try (VipsScope scope = Vips.scope()) {
            VipsScope.Header header = scope.header(scope.buffer(encoded));
            return new Read(header.width(), header.height(), header.pages(), header.delays(), header.loop());
        }
    }
}
