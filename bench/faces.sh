#!/usr/bin/env bash
# g_face and g_faces against g_auto: how often every face stays whole in 300x300, 300x169 and
# 169x300 crops, what each candidate cascade finds, and the CPU a detection costs
# (docs/faces.md). Photos: the astronaut of the test suite (NASA, public domain) and the six
# group photos of the npm package @vladmandic/face-api (demo/sample1-6.jpg, MIT-licensed
# package), fetched into target/faces with `npm pack`. Needs libopencv-java and opencv-data
# (bin/imgorigin installs them), npm, a JDK 25 and Maven.
#
#   bench/faces.sh              every candidate cascade
#   bench/faces.sh alt2         the cascades whose file name contains "alt2"
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
JAVA="$JAVA_HOME/bin/java"
only=${1:-}
dir=target/faces
if [ ! -f "$dir/sample6.jpg" ]; then
  mkdir -p "$dir/npm"
  (cd "$dir/npm" && npm pack --silent @vladmandic/face-api@1.7.15 >/dev/null && tar xzf vladmandic-face-api-1.7.15.tgz)
  cp "$dir"/npm/package/demo/sample[1-6].jpg "$dir/"
fi
cp src/test/resources/images/astronaut.jpg "$dir/"
JAVA_HOME=$JAVA_HOME mvn -B -q -o -ntp compile
for cascade in /usr/share/opencv4/haarcascades/haarcascade_frontalface_alt2.xml \
               /usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml \
               /usr/share/opencv4/lbpcascades/lbpcascade_frontalface.xml \
               /usr/share/opencv4/lbpcascades/lbpcascade_frontalface_improved.xml; do
  case $cascade in *"$only"*) ;; *) continue ;; esac
  "$JAVA" --enable-native-access=ALL-UNNAMED -cp target/classes bench/Faces.java "$cascade" "$dir" 2>&1 \
    | grep -v -e '^WARNING' -e 'OpenCVNativeLoader' -e 'Successfully loaded' -e 'iCCP'
done
