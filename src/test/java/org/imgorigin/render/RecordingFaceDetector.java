package org.imgorigin.render;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.imgorigin.faces.Box;
import org.imgorigin.faces.FaceDetector;
import org.imgorigin.faces.Grey;

/** A detector that finds no faces and keeps every image it was asked to look at, in order. */
final class RecordingFaceDetector implements FaceDetector {
    private final List<Grey> seen = Collections.synchronizedList(new ArrayList<>());

    @Override
    public List<Box> detect(Grey image) {
        seen.add(image);
        return List.of();
    }

    @Override
    public boolean available() {
        return true;
    }

    @Override
    public String describe() {
        return "recording";
    }

    /** The images looked at so far (a copy). */
    List<Grey> seen() {
        synchronized (seen) {
            return List.copyOf(seen);
        }
    }
}
