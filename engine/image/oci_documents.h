// The JSON documents of an OCI image layout (image-spec: image-layout.md, image-index.md, manifest.md, config.md)
// as plain structs, parsed tolerantly (unknown fields are ignored, so documents written by other tools load) and
// written canonically. Pure; nlohmann/json stays in the .cpp.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "engine/image/image_config.h"

namespace berth::image {

inline constexpr std::string_view kMediaTypeImageIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kMediaTypeImageManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kMediaTypeImageConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kMediaTypeLayerTar = "application/vnd.oci.image.layer.v1.tar";
// The index annotation that names an image: the full normalised reference ("docker.io/library/busybox:latest",
// or "docker.io/library/busybox@sha256:…" for a repository digest). A manifest without it is an untagged image.
inline constexpr std::string_view kAnnotationRefName = "org.opencontainers.image.ref.name";

struct Descriptor {
  std::string media_type;
  std::string digest;  // "sha256:<hex>"
  int64_t size = 0;
  std::map<std::string, std::string> annotations;
  bool operator==(const Descriptor&) const = default;
};

struct ImageIndex {
  std::vector<Descriptor> manifests;
};

struct ImageManifest {
  std::string media_type;  // OCI or Docker schema 2; both are read
  Descriptor config;
  std::vector<Descriptor> layers;
};

struct HistoryEntry {
  std::string created;
  std::string created_by;
  std::string comment;
  bool empty_layer = false;
};

// The image config blob: the image ID is its digest.
struct ImageConfigDocument {
  std::string created;  // RFC 3339
  std::string author;
  std::string architecture;
  std::string os;
  std::string variant;
  ImageConfig config;
  std::vector<std::string> diff_ids;  // rootfs.diff_ids, lowest layer first
  std::vector<HistoryEntry> history;
};

Result<ImageIndex> parse_image_index(std::string_view json);
std::string serialize_image_index(const ImageIndex& index);

Result<ImageManifest> parse_image_manifest(std::string_view json);
std::string serialize_image_manifest(const ImageManifest& manifest);

Result<ImageConfigDocument> parse_image_config(std::string_view json);
std::string serialize_image_config(const ImageConfigDocument& document);

// The host's platform in OCI's (Go's) names: "amd64", "arm64", "arm" with variant "v7", ...
struct Platform {
  std::string architecture;
  std::string os;
  std::string variant;
};
Platform host_platform();

// Seconds since the epoch of an RFC 3339 time as configs carry it ("2024-01-02T03:04:05.123Z", "…+02:00");
// nullopt when malformed.
std::optional<int64_t> parse_rfc3339_seconds(std::string_view text);

}  // namespace berth::image
