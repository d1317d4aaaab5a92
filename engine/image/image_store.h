// berth's content-addressed image store: an OCI image layout at StateRoot::images() plus the unpacked layers at
// StateRoot::layers() that container roots stack with overlayfs. See docs/ARCHITECTURE.md ("Image store").
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/paths.h"
#include "core/result.h"
#include "engine/image/image_config.h"
#include "engine/image/reference.h"

namespace berth::image {

struct StoreLayout;

struct Image {
  std::string id;               // "sha256:<hex>" of the config blob, as Docker's image ID
  std::string manifest_digest;  // "sha256:<hex>"
  ImageConfig config;
  std::vector<std::string> diff_ids;     // lowest layer first
  std::vector<std::string> layer_dirs;   // absolute "<layers>/<diff-hex>/diff", lowest layer first
  // The same directories as short relative names ("l/<26 hex>", relative to StateRoot::layers()), for overlay
  // mount options, which must fit in one page: mount with the layers directory as the working directory, or
  // through fsconfig, to stay far below the limit even with 128 layers.
  std::vector<std::string> layer_links;
  std::vector<std::string> repo_tags;     // familiar: "busybox:latest"
  std::vector<std::string> repo_digests;  // familiar: "busybox@sha256:…"
  std::string created;                    // RFC 3339, from the config
  std::string architecture, os;
  uint64_t size = 0;  // bytes of unpacked content over all layers
};

struct StoreOptions {
  // Keep ownership, create device nodes and fifos, and mark opaque directories with trusted.* xattrs when
  // unpacking layers. Defaults to "running as root"; tests set it to see what an unprivileged import does.
  std::optional<bool> privileged;
};

class ImageStore {
 public:
  // Opens (creating the layout if missing) the store of `state`, and cleans what crashed imports left behind.
  static Result<ImageStore> open(const StateRoot& state, const StoreOptions& options = {});

  // A rootfs tarball (plain, gzip, bzip2, xz or zstd) as a one-layer image, like `docker import`. `reference`
  // ("name[:tag]") tags it; `changes` are Dockerfile instructions (config_changes.h); `message` becomes the history
  // comment. `source_name` names the input in errors and in the default comment ("Imported from -").
  // On failure the store is unchanged.
  Result<Image> import_rootfs(int tar_fd, const std::optional<std::string>& reference,
                              const std::vector<std::string>& changes, const std::string& message,
                              std::string_view source_name = "-");

  // By reference ("busybox", "busybox:1.36", "docker.io/library/busybox:latest", "busybox@sha256:…"), full ID
  // ("sha256:<hex>" or "<hex>"), or a unique ID prefix. Error "No such image: x".
  Result<Image> find(std::string_view name_or_id) const;
  // Every image, newest first; images whose blobs are unreadable (a crashed write) are left out.
  Result<std::vector<Image>> list() const;
  // Points the tag `target` ("name[:tag]") at the image `source`; the tag moves away from any other image.
  Result<void> tag(std::string_view source, std::string_view target);
  // As `docker rmi`: untags a reference, and deletes the image once nothing names it, or deletes by ID. Returns
  // the "Untagged: busybox:latest" / "Deleted: sha256:…" lines. An image that `in_use(id)` says a container uses is
  // refused (`conflict: unable to remove image X: image is being used by a container`); with `force` it is
  // untagged and kept. Blobs and unpacked layers go unless another image shares them.
  Result<std::vector<std::string>> remove(std::string_view name_or_id, bool force,
                                          const std::function<bool(const std::string&)>& in_use);
  // One image as Docker's inspect object: Id, RepoTags, RepoDigests, Parent, Comment, Created, Author, Config,
  // Architecture, Os, Size, GraphDriver, RootFS{Type,Layers}, Metadata.
  Result<std::string> inspect_json(std::string_view name_or_id) const;

  const std::string& images_root() const { return images_root_; }
  const std::string& layers_root() const { return layers_root_; }

 private:
  ImageStore(const StateRoot& state, bool privileged);
  StoreLayout layout() const;

  std::string images_root_;
  std::string layers_root_;
  std::string store_lock_path_;
  std::string staging_lock_path_;
  bool privileged_ = false;
};

}  // namespace berth::image
