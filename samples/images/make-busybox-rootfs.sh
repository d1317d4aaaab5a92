#!/bin/sh
# Makes a rootfs tarball from Debian's busybox-static: /bin/busybox, a link per applet, and the /etc files a
# container expects. Usage: make-busybox-rootfs.sh OUT.tar   (needs: apt-get install busybox-static)
set -eu
out=$1
busybox=/bin/busybox
[ -x "$busybox" ] || { echo "make-busybox-rootfs: $busybox is missing (apt-get install busybox-static)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" "$root/etc" "$root/tmp" "$root/root" \
         "$root/home/app" "$root/var/www" "$root/proc" "$root/sys" "$root/dev" "$root/run"
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] && continue
  ln -sf busybox "$root/bin/$applet"
done
cat > "$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
app:x:1000:1000:app:/home/app:/bin/sh
PASSWD
cat > "$root/etc/group" <<'GROUP'
root:x:0:
daemon:x:1:
tty:x:5:
users:x:100:app
nogroup:x:65534:
app:x:1000:
GROUP
chmod 1777 "$root/tmp"
chown 1000:1000 "$root/home/app"
tar --numeric-owner -C "$root" -cf "$out" .
