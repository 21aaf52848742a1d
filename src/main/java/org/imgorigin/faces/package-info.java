/**
 * Face detection for {@code g_face} and {@code g_faces}: a {@link org.imgorigin.faces.FaceDetector}
 * finds faces on a small grey copy of an image ({@link org.imgorigin.faces.Grey}, made by the
 * renderer with libvips) and answers boxes in fractions of that image
 * ({@link org.imgorigin.faces.Box}), so the renderer can place a crop at any scale. The detector
 * is OpenCV's Haar cascade through Debian's Java bindings, loaded at run time when installed;
 * without them {@link org.imgorigin.faces.FaceDetector#system()} is a detector that finds
 * nothing and says why, and {@code g_face} falls back to saliency. Nothing here touches libvips.
 */
package org.imgorigin.faces;
