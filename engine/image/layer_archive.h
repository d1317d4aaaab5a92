// Layer tarballs: turning whatever the user gave us into an uncompressed tar (the layer blob, whose digest is the
// diff id), and unpacking that tar into a layer directory without letting any entry land outside it.
// libarchive stays in the .cpp files.
#pragma once

#include <cstdint>
#include <string>

#include "core/result.h"

namespace berth::image {

struct DecompressedTar {
  std::string diff_id;  // "sha256:<hex>" of the uncompressed bytes
  uint64_t size = 0;
};

// Copies the tar stream read from `input_fd` (plain, gzip, bzip2, xz or zstd, recognised from the content, never
// from a name) uncompressed to `output_fd`, hashing it on the way. Only built-in decompressors are enabled: no
// archive can make us run an external program. An empty input or a corrupt/truncated compressed stream is an
// error; whether the bytes are a tar is unpack_layer's to say.
Result<DecompressedTar> decompress_tar(int input_fd, int output_fd);

struct UnpackOptions {
  // As root: keep entries' uid/gid, create device nodes and fifos, write trusted.* xattrs (overlay's opaque
  // marker is trusted.overlay.opaque). Otherwise those are skipped and opaque directories get user.overlay.opaque.
  bool privileged = false;
};

struct UnpackSummary {
  uint64_t entries = 0;        // entries read
  uint64_t skipped = 0;        // entries not created (devices/fifos without privilege, sockets, aufs metadata)
  uint64_t content_bytes = 0;  // sum of regular files' sizes: the layer's size as `docker images` shows it
};

// Unpacks the uncompressed tar read from `tar_fd` below the directory `root_fd`. Every name is resolved one
// component at a time with O_NOFOLLOW from `root_fd`: ".." is refused, a leading '/' is dropped, a parent that is
// a symlink is an error, hard link targets are resolved the same way, and symlinks are created as data and never
// followed. OCI whiteouts become overlayfs whiteouts (0:0 character devices) and opaque-directory xattrs.
// Errors say what and where: `truncated tar archive (entry "bin/busybox", byte 1536)`. On error the directory is
// left partly written; the caller unpacks into a staging directory and throws it away.
Result<UnpackSummary> unpack_layer(int tar_fd, int root_fd, const UnpackOptions& options);

}  // namespace berth::image
