#include "engine/image/store_layout.h"

#include <fmt/core.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/digest.h"
#include "core/fs.h"
#include "core/log.h"

namespace berth::image {

std::string_view digest_hex(std::string_view digest) {
  size_t colon = digest.find(':');
  return colon == std::string_view::npos ? digest : digest.substr(colon + 1);
}

std::string StoreLayout::blob_path(std::string_view digest) const {
  return blobs_dir() + "/" + std::string(digest_hex(digest));
}

std::string StoreLayout::layer_dir(std::string_view diff_id) const {
  return layers_root + "/" + std::string(digest_hex(diff_id));
}

std::string StoreLayout::layer_diff_dir(std::string_view diff_id) const { return layer_dir(diff_id) + "/diff"; }

std::string StoreLayout::layer_link(std::string_view diff_id) {
  return "l/" + std::string(digest_hex(diff_id).substr(0, kLayerLinkLength));
}

namespace {

const std::string* reference_name(const Descriptor& descriptor) {
  auto it = descriptor.annotations.find(std::string(kAnnotationRefName));
  return it == descriptor.annotations.end() ? nullptr : &it->second;
}

bool manifest_listed(const ImageIndex& index, const std::string& digest) {
  return std::any_of(index.manifests.begin(), index.manifests.end(),
                     [&](const Descriptor& entry) { return entry.digest == digest; });
}

Descriptor without_name(Descriptor descriptor) {
  descriptor.annotations.erase(std::string(kAnnotationRefName));
  return descriptor;
}

}  // namespace

void index_set_reference(ImageIndex& index, const Descriptor& manifest,
                         const std::optional<std::string>& full_reference) {
  if (!full_reference) {
    if (!manifest_listed(index, manifest.digest)) index.manifests.push_back(without_name(manifest));
    return;
  }
  for (const auto& entry : index.manifests) {
    const std::string* name = reference_name(entry);
    if (name && *name == *full_reference && entry.digest == manifest.digest) return;  // already so
  }
  index_remove_reference(index, *full_reference);
  // Our image's unnamed entry (if any) gives way to the named one.
  std::erase_if(index.manifests, [&](const Descriptor& entry) {
    return entry.digest == manifest.digest && !reference_name(entry);
  });
  Descriptor named = without_name(manifest);
  named.annotations[std::string(kAnnotationRefName)] = *full_reference;
  index.manifests.push_back(std::move(named));
}

void index_remove_reference(ImageIndex& index, const std::string& full_reference) {
  auto it = std::find_if(index.manifests.begin(), index.manifests.end(), [&](const Descriptor& entry) {
    const std::string* name = reference_name(entry);
    return name && *name == full_reference;
  });
  if (it == index.manifests.end()) return;
  Descriptor removed = *it;
  index.manifests.erase(it);
  if (!manifest_listed(index, removed.digest)) index.manifests.push_back(without_name(std::move(removed)));
}

void index_remove_manifest(ImageIndex& index, const std::string& manifest_digest) {
  std::erase_if(index.manifests, [&](const Descriptor& entry) { return entry.digest == manifest_digest; });
}

std::vector<IndexedImage> index_images(const ImageIndex& index) {
  std::vector<IndexedImage> images;
  for (const auto& entry : index.manifests) {
    auto it = std::find_if(images.begin(), images.end(),
                           [&](const IndexedImage& image) { return image.manifest.digest == entry.digest; });
    if (it == images.end()) {
      images.push_back(IndexedImage{without_name(entry), {}});
      it = images.end() - 1;
    }
    if (const std::string* name = reference_name(entry)) it->references.push_back(*name);
  }
  return images;
}

Result<ImageIndex> read_index(const StoreLayout& layout) {
  auto content = fs::read_file(layout.index_path());
  if (!content) {
    if (content.error().errno_value() == ENOENT) return ImageIndex{};
    return std::move(content).error();
  }
  return parse_image_index(*content).context(layout.index_path());
}

Result<void> write_index(const StoreLayout& layout, const ImageIndex& index) {
  return fs::write_file_atomic(layout.index_path(), serialize_image_index(index));
}

Result<std::string> read_blob(const StoreLayout& layout, std::string_view digest) {
  if (!is_sha256_digest(digest)) return unexpected(Error(fmt::format("unsupported digest {}", digest)));
  return fs::read_file(layout.blob_path(digest));
}

namespace {

// Bytes of unpacked content recorded beside the layer's diff/ (layer.json); nullopt when missing.
std::optional<uint64_t> recorded_layer_size(const StoreLayout& layout, const std::string& diff_id) {
  auto content = fs::read_file(layout.layer_dir(diff_id) + "/layer.json");
  if (!content) return std::nullopt;
  auto parsed = nlohmann::json::parse(*content, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) return std::nullopt;
  auto size = parsed.find("size");
  if (size == parsed.end() || !size->is_number_unsigned()) return std::nullopt;
  return size->get<uint64_t>();
}

}  // namespace

Result<Image> load_image(const StoreLayout& layout, const IndexedImage& indexed) {
  auto manifest_json = BERTH_TRY_CONTEXT(read_blob(layout, indexed.manifest.digest),
                                         fmt::format("reading manifest {}", indexed.manifest.digest));
  auto manifest = BERTH_TRY_CONTEXT(parse_image_manifest(manifest_json), indexed.manifest.digest);
  auto config_json = BERTH_TRY_CONTEXT(read_blob(layout, manifest.config.digest),
                                       fmt::format("reading config {}", manifest.config.digest));
  auto document = BERTH_TRY_CONTEXT(parse_image_config(config_json), manifest.config.digest);

  Image image;
  image.id = manifest.config.digest;
  image.manifest_digest = indexed.manifest.digest;
  image.config = std::move(document.config);
  image.diff_ids = std::move(document.diff_ids);
  image.created = std::move(document.created);
  image.architecture = std::move(document.architecture);
  image.os = std::move(document.os);
  for (size_t i = 0; i < image.diff_ids.size(); ++i) {
    const auto& diff_id = image.diff_ids[i];
    if (!is_sha256_digest(diff_id)) return unexpected(Error(fmt::format("image {}: bad diff id {}", image.id, diff_id)));
    image.layer_dirs.push_back(layout.layer_diff_dir(diff_id));
    image.layer_links.push_back(StoreLayout::layer_link(diff_id));
    auto size = recorded_layer_size(layout, diff_id);
    if (!size && i < manifest.layers.size()) size = static_cast<uint64_t>(std::max<int64_t>(manifest.layers[i].size, 0));
    image.size += size.value_or(0);
  }
  for (const auto& name : indexed.references) {
    auto reference = parse_reference(name);
    if (!reference) {
      log::debug("image {}: ignoring unparsable name {}", image.id, name);
      continue;
    }
    if (!reference->digest.empty() && reference->tag.empty())
      image.repo_digests.push_back(reference->familiar());
    else
      image.repo_tags.push_back(reference->familiar());
  }
  return image;
}

}  // namespace berth::image
