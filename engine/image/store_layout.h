// Internal to engine/image: where the store keeps things, the pure edits of index.json's names, and the disk
// operations image_store.cpp and image_import.cpp share. Not part of the module's public API.
//
// Locking protocol (for every writer, including the later build/pull/load code):
//   - `images-staging.lock` (shared) is held while staging: decompressing, unpacking into `.tmp-*` names.
//   - `images.lock` (exclusive) is held to publish: renaming staged blobs/layers to their final names, writing
//     config/manifest blobs, rewriting index.json, and to delete (rmi). Publishing and the index update happen in
//     one critical section, so a non-temporary blob or layer that the index does not reference is garbage.
//   - Cleanup of `.tmp-*` leftovers needs both locks exclusively (no staging and no publishing anywhere).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "engine/image/image_store.h"
#include "engine/image/oci_documents.h"

namespace berth::image {

inline constexpr std::string_view kStagingPrefix = ".tmp-";
inline constexpr size_t kLayerLinkLength = 26;  // hex digits of the diff id in "l/<id>"

struct StoreLayout {
  std::string images_root;
  std::string layers_root;

  std::string blobs_dir() const { return images_root + "/blobs/sha256"; }
  std::string index_path() const { return images_root + "/index.json"; }
  std::string oci_layout_path() const { return images_root + "/oci-layout"; }
  std::string links_dir() const { return layers_root + "/l"; }
  // "sha256:<hex>" → blobs/sha256/<hex>
  std::string blob_path(std::string_view digest) const;
  std::string layer_dir(std::string_view diff_id) const;       // layers/<hex>
  std::string layer_diff_dir(std::string_view diff_id) const;  // layers/<hex>/diff
  static std::string layer_link(std::string_view diff_id);     // "l/<first 26 hex>"
};

// The hex part of "sha256:<hex>" (the whole text when it has no algorithm).
std::string_view digest_hex(std::string_view digest);

// ---- index.json names (pure) ----
// Invariant kept by these edits: every manifest in the index has either named entries (one per reference) or
// exactly one unnamed entry (an untagged, "dangling" image).

// Names `manifest` with `full_reference` (or just makes sure it is listed, when nullopt). The name moves away from
// any image that had it; that image stays listed, unnamed if it has no other name.
void index_set_reference(ImageIndex& index, const Descriptor& manifest, const std::optional<std::string>& full_reference);
// Removes the entry named `full_reference`; its image stays listed, unnamed if that was its last name.
void index_remove_reference(ImageIndex& index, const std::string& full_reference);
// Removes every entry of `manifest_digest`.
void index_remove_manifest(ImageIndex& index, const std::string& manifest_digest);
// Manifest digests in index order, each once, with the full references that name it.
struct IndexedImage {
  Descriptor manifest;
  std::vector<std::string> references;
};
std::vector<IndexedImage> index_images(const ImageIndex& index);

// ---- disk ----
// A missing index.json is an empty index.
Result<ImageIndex> read_index(const StoreLayout& layout);
Result<void> write_index(const StoreLayout& layout, const ImageIndex& index);
// Reads the manifest and config blobs of an image listed in the index.
Result<Image> load_image(const StoreLayout& layout, const IndexedImage& indexed);
Result<std::string> read_blob(const StoreLayout& layout, std::string_view digest);

// ---- lookups and housekeeping (image_store.cpp) ----
struct ResolvedImage {
  IndexedImage indexed;
  std::optional<std::string> matched_reference;  // the full name when found by name, nullopt when by ID
};
// Reference, full ID, or unique ID prefix to an indexed image; error "No such image: x".
Result<ResolvedImage> resolve_image(const StoreLayout& layout, const std::vector<IndexedImage>& images,
                                    std::string_view name_or_id);
// Removes `.tmp-*` leftovers of crashed writers when no writer is active (best effort, never blocks).
void clean_stale_staging(const StoreLayout& layout, const std::string& store_lock_path,
                         const std::string& staging_lock_path);
// Under the store lock: deletes blobs, layer directories and links that no image of `index` references.
// Returns the diff ids of the layer directories deleted.
std::vector<std::string> collect_garbage(const StoreLayout& layout, const ImageIndex& index);

}  // namespace berth::image
