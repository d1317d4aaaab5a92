// Decisions about one tar entry of a layer, made before anything touches the disk. Pure, so that every rule that
// keeps a hostile tarball inside its layer directory is unit-tested on its own.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace berth::image {

// The components of an entry's name relative to the layer root, as tar would extract it: leading '/' stripped
// (never an escape), empty and "." components dropped. A ".." component anywhere is an error, whatever follows it:
// the layer root is the floor, and a name that climbs is hostile or broken. An empty list names the root itself.
Result<std::vector<std::string>> layer_relative_components(std::string_view entry_name);

// OCI whiteouts (image-spec layer.md): ".wh.NAME" hides NAME of lower layers, ".wh..wh..opq" makes its directory
// opaque; any other ".wh..wh." name is metadata of other tools (aufs' ".wh..wh.plnk") and is dropped.
enum class WhiteoutKind { none, file, opaque, ignored };
struct Whiteout {
  WhiteoutKind kind = WhiteoutKind::none;
  std::string hidden_name;  // NAME, for WhiteoutKind::file
};
// Classifies the last component of an entry name; an error for ".wh." with an empty or "."/".." NAME.
Result<Whiteout> classify_whiteout(std::string_view base_name);

// Extended attributes a layer must never set itself: overlayfs reads trusted.overlay.* (and user.overlay.* when
// mounted with userxattr) as its own metadata (opaque, redirect, metacopy, origin), and a redirect planted by an
// image could make overlay look up a different path. Whiteouts are the only way an image says these things.
bool is_reserved_xattr(std::string_view name);

}  // namespace berth::image
