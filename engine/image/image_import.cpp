// `import`: a rootfs tarball becomes a one-layer image. Stage outside the store lock (slow: decompress, unpack),
// publish under it (fast: renames and small writes), so concurrent imports overlap and the store never shows half
// an image.
#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

#include "core/digest.h"
#include "core/fs.h"
#include "core/lock.h"
#include "core/log.h"
#include "core/text.h"
#include "engine/image/config_changes.h"
#include "engine/image/image_store.h"
#include "engine/image/layer_archive.h"
#include "engine/image/store_layout.h"

namespace berth::image {
namespace {

// A staged blob file (".tmp-XXXXXX" in blobs/sha256/): unlinked unless published.
class StagedFile {
 public:
  static Result<StagedFile> create(const std::string& directory) {
    std::string pattern = fs::join(directory, std::string(kStagingPrefix) + "XXXXXX");
    int fd = ::mkostemp(pattern.data(), O_CLOEXEC);
    if (fd < 0) return sys_error(fmt::format("create {}", pattern));
    return StagedFile(std::move(pattern), UniqueFd(fd));
  }
  StagedFile(StagedFile&&) = default;
  ~StagedFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }
  void release() { path_.clear(); }

 private:
  StagedFile(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  std::string path_;
  UniqueFd fd_;
};

// A staged layer directory (".tmp-XXXXXX" in layers/): removed unless published.
class StagedDirectory {
 public:
  static Result<StagedDirectory> create(const std::string& parent) {
    auto path = BERTH_TRY(fs::make_temp_directory(parent, kStagingPrefix));
    return StagedDirectory(std::move(path));
  }
  StagedDirectory(StagedDirectory&& other) noexcept : path_(std::exchange(other.path_, {})) {}
  ~StagedDirectory() {
    if (!path_.empty()) (void)fs::remove_tree(path_);
  }
  const std::string& path() const { return path_; }
  void release() { path_.clear(); }

 private:
  explicit StagedDirectory(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// What one publish added to the store, taken back again unless committed, so a failed import leaves the store as
// it found it. Paths that already existed (shared with other images) are never in here.
class Publication {
 public:
  explicit Publication(const StoreLayout& layout) : layout_(layout) {}
  ~Publication() {
    if (committed_) return;
    for (auto it = added_.rbegin(); it != added_.rend(); ++it) (void)fs::remove_tree(*it);
  }
  void commit() { committed_ = true; }

  Result<void> blob_from_file(StagedFile& staged, const std::string& digest) {
    std::string target = layout_.blob_path(digest);
    if (fs::exists(target)) return {};  // content-addressed: the blob we have is the same
    if (::rename(staged.path().c_str(), target.c_str()) != 0)
      return sys_error(fmt::format("rename {} to {}", staged.path(), target));
    staged.release();
    added_.push_back(target);
    return {};
  }

  Result<void> blob_from_bytes(std::string_view content, const std::string& digest) {
    std::string target = layout_.blob_path(digest);
    if (fs::exists(target)) return {};
    BERTH_TRY(fs::write_file_atomic(target, content));
    added_.push_back(target);
    return {};
  }

  // One import wins the rename; a later one (same diff id, already in place) throws its copy away.
  Result<void> layer(StagedDirectory& staged, const std::string& diff_id) {
    std::string target = layout_.layer_dir(diff_id);
    if (::rename(staged.path().c_str(), target.c_str()) == 0) {
      staged.release();
      added_.push_back(target);
    } else if (errno != EEXIST && errno != ENOTEMPTY) {
      return sys_error(fmt::format("rename {} to {}", staged.path(), target));
    }
    return link_layer(diff_id);
  }

 private:
  // layers/l/<short> → ../<hex>/diff: short names for overlay's one-page mount options.
  Result<void> link_layer(const std::string& diff_id) {
    std::string link = fs::join(layout_.layers_root, StoreLayout::layer_link(diff_id));
    std::string target = "../" + std::string(digest_hex(diff_id)) + "/diff";
    if (::symlink(target.c_str(), link.c_str()) == 0) {
      added_.push_back(link);
      return {};
    }
    if (errno != EEXIST) return sys_error(fmt::format("symlink {}", link));
    char existing[256];
    ssize_t length = ::readlink(link.c_str(), existing, sizeof existing);
    if (length >= 0 && std::string_view(existing, static_cast<size_t>(length)) == target) return {};
    return unexpected(Error(fmt::format("layer link {} already names another layer", link), EEXIST));
  }

  const StoreLayout& layout_;
  std::vector<std::string> added_;
  bool committed_ = false;
};

struct StagedLayer {
  StagedFile blob;
  StagedDirectory directory;
  DecompressedTar tar;
};

Result<StagedLayer> stage_layer(const StoreLayout& layout, int tar_fd, bool privileged, std::string_view source_name) {
  auto blob = BERTH_TRY(StagedFile::create(layout.blobs_dir()));
  auto tar = BERTH_TRY_CONTEXT(decompress_tar(tar_fd, blob.fd()), fmt::format("reading {}", source_name));
  if (::fsync(blob.fd()) != 0) return sys_error(fmt::format("fsync {}", blob.path()));
  if (::lseek(blob.fd(), 0, SEEK_SET) != 0) return sys_error(fmt::format("seek {}", blob.path()));

  auto directory = BERTH_TRY(StagedDirectory::create(layout.layers_root));
  std::string diff = directory.path() + "/diff";
  if (::mkdir(diff.c_str(), 0755) != 0) return sys_error(fmt::format("mkdir {}", diff));
  UniqueFd diff_fd(::open(diff.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!diff_fd) return sys_error(fmt::format("open {}", diff));
  auto summary = BERTH_TRY_CONTEXT(unpack_layer(blob.fd(), diff_fd.get(), UnpackOptions{privileged}),
                                   fmt::format("reading {}", source_name));
  // One syncfs instead of an fsync per file: the rename that publishes the layer must not outrun its content.
  if (::syncfs(diff_fd.get()) != 0) return sys_error(fmt::format("syncfs {}", diff));
  nlohmann::json metadata = {{"diff_id", tar.diff_id}, {"size", summary.content_bytes}};
  BERTH_TRY(fs::write_file_atomic(directory.path() + "/layer.json", metadata.dump() + "\n"));
  log::debug("import: {} entries ({} skipped), {} bytes of content, diff id {}", summary.entries, summary.skipped,
             summary.content_bytes, tar.diff_id);
  return StagedLayer{std::move(blob), std::move(directory), std::move(tar)};
}

}  // namespace

Result<Image> ImageStore::import_rootfs(int tar_fd, const std::optional<std::string>& reference,
                                        const std::vector<std::string>& changes, const std::string& message,
                                        std::string_view source_name) {
  // Everything that can be judged without the tarball is judged first.
  std::optional<std::string> full_reference;
  if (reference) {
    auto parsed = parse_reference(*reference);
    if (!parsed)
      return unexpected(Error(fmt::format("Error parsing reference: \"{}\" is not a valid repository/tag: {}",
                                          *reference, parsed.error().message())));
    if (!parsed->digest.empty())
      return unexpected(Error(fmt::format("refusing to create a tag with a digest reference: {}", *reference)));
    full_reference = parsed->full();
  }
  ImageConfigDocument document;
  BERTH_TRY(apply_config_changes(document.config, changes));

  StoreLayout layout = this->layout();
  auto staging_lock = BERTH_TRY(FileLock::acquire(staging_lock_path_, FileLock::Kind::shared));
  auto staged = BERTH_TRY(stage_layer(layout, tar_fd, privileged_, source_name));

  Platform platform = host_platform();
  document.created = text::now_rfc3339_nano();
  document.architecture = platform.architecture;
  document.os = platform.os;
  document.variant = platform.variant;
  document.diff_ids = {staged.tar.diff_id};
  document.history = {HistoryEntry{document.created, "berth import",
                                   message.empty() ? fmt::format("Imported from {}", source_name) : message, false}};
  std::string config_json = serialize_image_config(document);
  std::string config_digest = sha256_digest(config_json);

  ImageManifest manifest;
  manifest.media_type = std::string(kMediaTypeImageManifest);
  manifest.config = Descriptor{std::string(kMediaTypeImageConfig), config_digest,
                               static_cast<int64_t>(config_json.size()), {}};
  manifest.layers = {Descriptor{std::string(kMediaTypeLayerTar), staged.tar.diff_id,
                                static_cast<int64_t>(staged.tar.size), {}}};
  std::string manifest_json = serialize_image_manifest(manifest);
  Descriptor manifest_descriptor{std::string(kMediaTypeImageManifest), sha256_digest(manifest_json),
                                 static_cast<int64_t>(manifest_json.size()), {}};

  {
    auto store_lock = BERTH_TRY(FileLock::acquire(store_lock_path_));
    Publication publication(layout);
    BERTH_TRY(publication.blob_from_file(staged.blob, staged.tar.diff_id));
    BERTH_TRY(publication.layer(staged.directory, staged.tar.diff_id));
    BERTH_TRY(publication.blob_from_bytes(config_json, config_digest));
    BERTH_TRY(publication.blob_from_bytes(manifest_json, manifest_descriptor.digest));
    auto index = BERTH_TRY(read_index(layout));
    index_set_reference(index, manifest_descriptor, full_reference);
    BERTH_TRY(write_index(layout, index));
    publication.commit();
  }

  IndexedImage indexed{manifest_descriptor, {}};
  if (full_reference) indexed.references.push_back(*full_reference);
  return load_image(layout, indexed);
}

}  // namespace berth::image
