#include "compose/volume_spec.h"

#include <cctype>

namespace berth::compose {

namespace {

bool is_file_path(std::string_view source) {
  if (source.empty()) return false;
  if (source[0] == '.' || source[0] == '/' || source[0] == '~') return true;
  if (source.substr(0, 2) == "\\\\") return true;  // Windows named pipe
  return source.size() > 1 && std::isalpha(static_cast<unsigned char>(source[0])) && source[1] == ':';
}

void set_type(VolumeSpec& volume) {
  if (is_file_path(volume.source)) {
    volume.type = "bind";
    volume.has_bind = true;
    volume.bind_create_host_path = true;
  } else {
    volume.type = "volume";
    volume.has_volume = true;
  }
}

}  // namespace

Result<VolumeSpec> parse_volume_spec(std::string_view spec) {
  VolumeSpec volume;
  if (spec.empty()) return Error("invalid empty volume spec");
  if (spec.size() <= 2) {
    volume.target = std::string(spec);
    volume.type = "volume";
    return volume;
  }
  std::string buffer;
  int in_substitution = 0;  // depth of ${...}: a ':' inside a variable default is not a separator
  auto flush = [&](bool at_end) -> Result<void> {
    if (buffer.empty()) return Error("invalid spec: " + std::string(spec) + ": empty section between colons");
    if (volume.source.empty() && at_end) {
      volume.target = buffer;
    } else if (volume.source.empty()) {
      volume.source = buffer;
    } else if (volume.target.empty()) {
      volume.target = buffer;
    } else if (!at_end) {
      return Error("invalid spec: " + std::string(spec) + ": too many colons");
    } else {
      size_t start = 0;
      while (start <= buffer.size()) {
        size_t comma = buffer.find(',', start);
        std::string option = buffer.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (option == "ro") volume.read_only = true;
        else if (option == "rw") volume.read_only = false;
        else if (option == "nocopy") volume.has_volume = true, volume.volume_nocopy = true;
        else if (option == "rprivate" || option == "private" || option == "rshared" || option == "shared" ||
                 option == "rslave" || option == "slave")
          volume.has_bind = true, volume.bind_propagation = option;
        else if (option == "z" || option == "Z")
          volume.has_bind = true, volume.bind_selinux = option;
        // other options are ignored, as the reference does
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    }
    buffer.clear();
    return {};
  };
  for (size_t i = 0; i <= spec.size(); ++i) {
    bool at_end = i == spec.size();
    char c = at_end ? '\0' : spec[i];
    if (!at_end && c == '$' && i + 1 < spec.size() && spec[i + 1] == '{') {
      ++in_substitution;
      buffer += c;
      continue;
    }
    if (!at_end && c == '}' && in_substitution > 0) {
      --in_substitution;
      buffer += c;
      continue;
    }
    if (c == ':' && buffer.size() == 1 && std::isalpha(static_cast<unsigned char>(buffer[0]))) {
      buffer += c;  // a Windows drive letter
    } else if ((c == ':' || at_end) && in_substitution == 0) {
      auto flushed = flush(at_end);
      if (!flushed) return flushed.error();
    } else if (!at_end) {
      buffer += c;
    }
  }
  set_type(volume);
  return volume;
}

}  // namespace berth::compose
