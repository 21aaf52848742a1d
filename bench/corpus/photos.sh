#!/usr/bin/env bash
# The benchmarks' photos: real photographs from Debian's wallpaper packages (photographers'
# work under free licences; see /usr/share/doc/<package>/copyright). Nothing is stored in the
# repository: the script installs the packages when they are missing (needs root and apt-get),
# then prints one absolute path per line, JPEG photos of 2 to 16 megapixels first, then PNGs
# with transparency. Files a package no longer ships are left out.
#
#   bench/corpus/photos.sh            all of them
#   bench/corpus/photos.sh jpeg|png   one kind
#
# bench/lib.sh's `corpus` reads it; the benchmark reports in docs/ name it as their corpus.
set -eu
kind=${1:-all}
case $kind in all | jpeg | png) ;; *) echo "usage: $0 [all|jpeg|png]" >&2; exit 2 ;; esac

pkgs="lomiri-wallpapers-16.04 mate-backgrounds plasma-workspace-wallpapers"
missing=""
for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  # shellcheck disable=SC2086 # one word per package
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing; } >&2
fi

if [ "$kind" = all ] || [ "$kind" = jpeg ]; then
  # lomiri-wallpapers-16.04: named by photographer, 2-16 MP
  for f in seeding_by_Clements_Engelhardt Dragonfly_by_Bolly sunset_by_Aitzol_Berasategi \
           Bridge_by_Sander_Klootwijk Wine_by_Jakkub_Mede picosdeeuropa_by_Aitzol_Berasategi \
           friends_by_Aitzol_Berasategi free_by_Peter_Nerlich greentock_by_Pawel_Kaluzny \
           Picture_0B_by_freespace; do
    ls /usr/share/backgrounds/"$f"*.jpg 2>/dev/null | head -n 1
  done
  # mate-backgrounds: nature photos
  ls /usr/share/backgrounds/mate/nature/{Wood,Aqua,Garden,YellowFlower,LadyBird,TwoWings,Storm}.jpg 2>/dev/null || true
  # plasma-workspace-wallpapers: the 2560x1600 photos
  for d in BytheWater ColdRipple EveningGlow FallenLeaf Kite Path; do
    ls /usr/share/wallpapers/"$d"/contents/images/2560x1600.jpg 2>/dev/null || true
  done
fi
if [ "$kind" = all ] || [ "$kind" = png ]; then
  # mate-backgrounds: abstract PNGs with an alpha channel
  ls /usr/share/backgrounds/mate/abstract/{Arc-Colors-Transparent-Wallpaper,Flow,Gulp,Silk,Waves}.png 2>/dev/null || true
fi
