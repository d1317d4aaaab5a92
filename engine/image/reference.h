// Image references in Docker's grammar (distribution/reference): "busybox" is "docker.io/library/busybox:latest",
// "localhost:5000/a/b:tag" keeps its registry, "name@sha256:<hex>" pins a manifest. Pure functions.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace berth::image {

struct Reference {
  std::string domain;  // "docker.io", "localhost:5000"
  std::string path;    // "library/busybox", "a/b"
  std::string tag;     // "latest"; empty when the reference only has a digest
  std::string digest;  // "sha256:<hex>" or empty

  // "docker.io/library/busybox"
  std::string repository() const;
  // "busybox" for Docker Hub's official images, "user/app" for other Hub images, the full name otherwise.
  std::string familiar_repository() const;
  // "docker.io/library/busybox:latest", "docker.io/library/busybox@sha256:…", or both tag and digest.
  std::string full() const;
  // "busybox:latest", "busybox@sha256:…": what `docker images` and `RepoTags` show.
  std::string familiar() const;

  bool operator==(const Reference&) const = default;
};

// Parses and normalises a reference; a reference with neither tag nor digest gets the tag "latest". Invalid names
// are one error: `invalid reference format: repository name (library/Busybox) must be lowercase`.
Result<Reference> parse_reference(std::string_view text);

// True for a tag as the grammar allows it: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
bool is_valid_tag(std::string_view tag);

}  // namespace berth::image
