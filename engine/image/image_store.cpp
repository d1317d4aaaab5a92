// The store's lookups and edits: open, find, list, tag, remove, inspect. Import lives in image_import.cpp.
#include "engine/image/image_store.h"

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "core/digest.h"
#include "core/fs.h"
#include "core/lock.h"
#include "core/log.h"
#include "core/text.h"
#include "engine/image/store_layout.h"

namespace berth::image {
namespace {

bool is_lower_hex(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Result<std::string> config_digest_of(const StoreLayout& layout, const IndexedImage& indexed) {
  auto manifest = BERTH_TRY(parse_image_manifest(BERTH_TRY(read_blob(layout, indexed.manifest.digest))));
  return manifest.config.digest;
}

Result<ResolvedImage> resolve_by_id_prefix(const StoreLayout& layout, const std::vector<IndexedImage>& images,
                                           std::string_view hex_prefix, std::string_view text) {
  std::optional<ResolvedImage> found;
  for (const auto& indexed : images) {
    auto id = config_digest_of(layout, indexed);
    if (!id || !digest_hex(*id).starts_with(hex_prefix)) continue;
    if (found && found->indexed.manifest.digest != indexed.manifest.digest) {
      auto other = config_digest_of(layout, found->indexed);
      if (!other || *other != *id)
        return unexpected(Error(fmt::format("multiple IDs found with provided prefix: {}", text)));
    }
    found = ResolvedImage{indexed, std::nullopt};
  }
  if (!found) return unexpected(Error(fmt::format("No such image: {}", text), ENOENT));
  return *found;
}

}  // namespace

Result<ResolvedImage> resolve_image(const StoreLayout& layout, const std::vector<IndexedImage>& images,
                                    std::string_view text) {
  if (text.starts_with("sha256:")) {
    std::string_view hex = text.substr(7);
    if (!is_lower_hex(hex) || hex.size() > 64) return unexpected(Error(fmt::format("No such image: {}", text), ENOENT));
    return resolve_by_id_prefix(layout, images, hex, text);
  }
  if (text.size() == 64 && is_lower_hex(text)) return resolve_by_id_prefix(layout, images, text, text);
  if (auto reference = parse_reference(text)) {
    std::string full = reference->full();
    for (const auto& indexed : images)
      if (std::find(indexed.references.begin(), indexed.references.end(), full) != indexed.references.end())
        return ResolvedImage{indexed, full};
    if (!reference->digest.empty()) {
      // "name@sha256:…" also finds an image with that manifest under any name of the same repository.
      for (const auto& indexed : images) {
        if (indexed.manifest.digest != reference->digest) continue;
        for (const auto& name : indexed.references) {
          auto named = parse_reference(name);
          if (named && named->repository() == reference->repository()) return ResolvedImage{indexed, std::nullopt};
        }
      }
    }
  }
  if (is_lower_hex(text)) return resolve_by_id_prefix(layout, images, text, text);
  return unexpected(Error(fmt::format("No such image: {}", text), ENOENT));
}

void clean_stale_staging(const StoreLayout& layout, const std::string& store_lock_path,
                         const std::string& staging_lock_path) {
  // Only when nobody stages or publishes: then every temporary name is a leftover of a process that died.
  auto store_lock = FileLock::try_acquire(store_lock_path);
  if (!store_lock || !store_lock->held()) return;
  auto staging_lock = FileLock::try_acquire(staging_lock_path);
  if (!staging_lock || !staging_lock->held()) return;
  for (const auto& directory : {layout.layers_root, layout.blobs_dir(), layout.images_root}) {
    auto names = fs::list_directory(directory);
    if (!names) continue;
    for (const auto& name : *names) {
      if (name.find(kStagingPrefix) == std::string::npos) continue;  // ".tmp-X" staging, "index.json.tmp-…" writes
      auto removed = fs::remove_tree(fs::join(directory, name));
      if (removed)
        log::debug("image store: removed leftover {}/{}", directory, name);
      else
        log::warn("image store: cannot remove leftover {}/{}: {}", directory, name, removed.error().message());
    }
  }
}

std::vector<std::string> collect_garbage(const StoreLayout& layout, const ImageIndex& index) {
  std::set<std::string> blobs;     // hex
  std::set<std::string> diff_ids;  // hex
  for (const auto& indexed : index_images(index)) {
    blobs.insert(std::string(digest_hex(indexed.manifest.digest)));
    auto manifest_json = read_blob(layout, indexed.manifest.digest);
    if (!manifest_json) continue;  // a broken image references nothing we could still use
    auto manifest = parse_image_manifest(*manifest_json);
    if (!manifest) continue;
    blobs.insert(std::string(digest_hex(manifest->config.digest)));
    for (const auto& layer : manifest->layers) {
      blobs.insert(std::string(digest_hex(layer.digest)));
      diff_ids.insert(std::string(digest_hex(layer.digest)));  // equal for uncompressed layers: keep to be safe
    }
    if (auto config_json = read_blob(layout, manifest->config.digest)) {
      if (auto document = parse_image_config(*config_json))
        for (const auto& diff_id : document->diff_ids) diff_ids.insert(std::string(digest_hex(diff_id)));
    }
  }

  std::vector<std::string> deleted_layers;
  for (const auto& name : fs::list_directory(layout.blobs_dir()).value_or(std::vector<std::string>{})) {
    if (name.find(kStagingPrefix) != std::string::npos || blobs.count(name)) continue;
    if (::unlink(layout.blob_path(name).c_str()) != 0 && errno != ENOENT)
      log::warn("image store: cannot remove blob {}: {}", name, std::strerror(errno));
  }
  for (const auto& name : fs::list_directory(layout.links_dir()).value_or(std::vector<std::string>{})) {
    bool used = std::any_of(diff_ids.begin(), diff_ids.end(),
                            [&](const std::string& hex) { return hex.compare(0, kLayerLinkLength, name) == 0; });
    if (!used) ::unlink(fs::join(layout.links_dir(), name).c_str());
  }
  for (const auto& name : fs::list_directory(layout.layers_root).value_or(std::vector<std::string>{})) {
    if (name == "l" || name.find(kStagingPrefix) != std::string::npos || diff_ids.count(name)) continue;
    if (!is_sha256_digest("sha256:" + name)) continue;
    auto removed = fs::remove_tree(fs::join(layout.layers_root, name));
    if (removed)
      deleted_layers.push_back("sha256:" + name);
    else
      log::warn("image store: cannot remove layer {}: {}", name, removed.error().message());
  }
  return deleted_layers;
}

ImageStore::ImageStore(const StateRoot& state, bool privileged)
    : images_root_(state.images()),
      layers_root_(state.layers()),
      store_lock_path_(state.locks() + "/images.lock"),
      staging_lock_path_(state.locks() + "/images-staging.lock"),
      privileged_(privileged) {}

Result<ImageStore> ImageStore::open(const StateRoot& state, const StoreOptions& options) {
  ImageStore store(state, options.privileged.value_or(::geteuid() == 0));
  StoreLayout layout = store.layout();
  BERTH_TRY(fs::make_directories(state.locks(), 0700));
  BERTH_TRY(fs::make_directories(layout.blobs_dir()));
  BERTH_TRY(fs::make_directories(layout.links_dir()));
  if (!fs::exists(layout.oci_layout_path()))
    BERTH_TRY(fs::write_file_atomic(layout.oci_layout_path(), "{\"imageLayoutVersion\":\"1.0.0\"}\n"));
  if (!fs::exists(layout.index_path())) {
    auto lock = BERTH_TRY(FileLock::acquire(store.store_lock_path_));
    if (!fs::exists(layout.index_path())) BERTH_TRY(write_index(layout, ImageIndex{}));
  }
  clean_stale_staging(layout, store.store_lock_path_, store.staging_lock_path_);
  return store;
}

StoreLayout ImageStore::layout() const { return StoreLayout{images_root_, layers_root_}; }

Result<Image> ImageStore::find(std::string_view name_or_id) const {
  StoreLayout layout = this->layout();
  auto images = index_images(BERTH_TRY(read_index(layout)));
  auto resolved = BERTH_TRY(resolve_image(layout, images, name_or_id));
  return load_image(layout, resolved.indexed);
}

Result<std::vector<Image>> ImageStore::list() const {
  StoreLayout layout = this->layout();
  std::vector<Image> images;
  for (const auto& indexed : index_images(BERTH_TRY(read_index(layout)))) {
    auto image = load_image(layout, indexed);
    if (!image) {
      log::debug("image store: skipping {}: {}", indexed.manifest.digest, image.error().message());
      continue;
    }
    images.push_back(std::move(*image));
  }
  // Newest first; within one second our own UTC timestamps order as text, and later index entries are newer.
  std::reverse(images.begin(), images.end());
  std::stable_sort(images.begin(), images.end(), [](const Image& a, const Image& b) {
    auto a_seconds = parse_rfc3339_seconds(a.created).value_or(0);
    auto b_seconds = parse_rfc3339_seconds(b.created).value_or(0);
    if (a_seconds != b_seconds) return a_seconds > b_seconds;
    return a.created > b.created;
  });
  return images;
}

Result<void> ImageStore::tag(std::string_view source, std::string_view target) {
  auto reference = parse_reference(target);
  if (!reference)
    return unexpected(Error(fmt::format("Error parsing reference: \"{}\" is not a valid repository/tag: {}", target,
                                        reference.error().message())));
  if (!reference->digest.empty())
    return unexpected(Error(fmt::format("refusing to create a tag with a digest reference: {}", target)));
  StoreLayout layout = this->layout();
  auto lock = BERTH_TRY(FileLock::acquire(store_lock_path_));
  auto index = BERTH_TRY(read_index(layout));
  auto resolved = BERTH_TRY(resolve_image(layout, index_images(index), source));
  index_set_reference(index, resolved.indexed.manifest, reference->full());
  return write_index(layout, index);
}

Result<std::vector<std::string>> ImageStore::remove(std::string_view name_or_id, bool force,
                                                    const std::function<bool(const std::string&)>& in_use) {
  StoreLayout layout = this->layout();
  auto lock = BERTH_TRY(FileLock::acquire(store_lock_path_));
  auto index = BERTH_TRY(read_index(layout));
  auto resolved = BERTH_TRY(resolve_image(layout, index_images(index), name_or_id));
  std::string image_id = config_digest_of(layout, resolved.indexed).value_or("");
  bool used = !image_id.empty() && in_use && in_use(image_id);
  auto conflict = [&] {
    return unexpected(Error(
        fmt::format("conflict: unable to remove image {}: image is being used by a container", name_or_id), EBUSY));
  };
  auto familiar = [](const std::string& full) {
    auto reference = parse_reference(full);
    return reference ? reference->familiar() : full;
  };

  std::vector<std::string> lines;
  std::vector<std::string> names = resolved.indexed.references;
  auto untag = [&](const std::string& full) {
    index_remove_reference(index, full);
    std::erase(names, full);
    lines.push_back("Untagged: " + familiar(full));
  };

  if (resolved.matched_reference) {
    const std::string& full = *resolved.matched_reference;
    // Other tags keep the image. When only digest names would be left, they go too and the image with them,
    // as Docker does.
    bool other_tags = std::any_of(names.begin(), names.end(), [&](const std::string& name) {
      auto other = parse_reference(name);
      return name != full && other && !other->tag.empty();
    });
    if (other_tags) {
      untag(full);
      BERTH_TRY(write_index(layout, index));
      return lines;
    }
    if (used && !force) return conflict();
    for (auto name : std::vector<std::string>(names)) untag(name);
  } else {
    if (used && !force) return conflict();
    if (!used && names.size() > 1 && !force)
      return unexpected(Error(fmt::format(
          "conflict: unable to delete {} (must be forced) - image is referenced in multiple repositories",
          text::short_id(digest_hex(image_id.empty() ? resolved.indexed.manifest.digest : image_id))), EBUSY));
    for (auto name : std::vector<std::string>(names)) untag(name);
  }
  if (used) {  // forced: the names go, the image stays for the container that uses it (now untagged)
    BERTH_TRY(write_index(layout, index));
    return lines;
  }
  index_remove_manifest(index, resolved.indexed.manifest.digest);
  // The index first: a crash after this leaves unreferenced blobs (garbage the next removal sweeps), never an
  // index that names missing blobs.
  BERTH_TRY(write_index(layout, index));
  lines.push_back("Deleted: " + (image_id.empty() ? resolved.indexed.manifest.digest : image_id));
  for (auto& layer : collect_garbage(layout, index)) lines.push_back("Deleted: " + layer);
  return lines;
}

Result<std::string> ImageStore::inspect_json(std::string_view name_or_id) const {
  StoreLayout layout = this->layout();
  auto images = index_images(BERTH_TRY(read_index(layout)));
  auto resolved = BERTH_TRY(resolve_image(layout, images, name_or_id));
  auto image = BERTH_TRY(load_image(layout, resolved.indexed));
  auto raw = nlohmann::json::parse(BERTH_TRY(read_blob(layout, image.id)), nullptr, false);
  if (raw.is_discarded() || !raw.is_object()) return unexpected(Error(fmt::format("image {}: bad config", image.id)));

  std::string comment;
  if (auto history = raw.find("history"); history != raw.end() && history->is_array() && !history->empty()) {
    const auto& last = history->back();
    if (last.is_object() && last.contains("comment") && last["comment"].is_string()) comment = last["comment"];
  }
  std::string lower_dirs;
  for (auto it = image.layer_dirs.rbegin(); it != image.layer_dirs.rend(); ++it)
    lower_dirs += (lower_dirs.empty() ? "" : ":") + *it;
  nlohmann::json object = nlohmann::json::object();
  object["Id"] = image.id;
  object["RepoTags"] = image.repo_tags;
  object["RepoDigests"] = image.repo_digests;
  object["Parent"] = "";
  object["Comment"] = comment;
  object["Created"] = image.created;
  object["DockerVersion"] = "";
  object["Author"] = raw.value("author", "");
  object["Config"] = raw.contains("config") ? raw["config"] : nlohmann::json(nullptr);
  object["Architecture"] = image.architecture;
  if (raw.contains("variant") && raw["variant"].is_string()) object["Variant"] = raw["variant"];
  object["Os"] = image.os;
  object["Size"] = image.size;
  object["GraphDriver"] = {{"Name", "overlay"}, {"Data", {{"LowerDir", lower_dirs}}}};
  object["RootFS"] = {{"Type", "layers"}, {"Layers", image.diff_ids}};
  object["Metadata"] = {{"LastTagTime", ""}};
  return object.dump();
}

}  // namespace berth::image
