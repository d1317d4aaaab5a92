#include "engine/image/reference.h"

#include <fmt/core.h>

#include "core/digest.h"

namespace berth::image {
namespace {

constexpr std::string_view kDefaultDomain = "docker.io";
constexpr std::string_view kLegacyDefaultDomain = "index.docker.io";
constexpr std::string_view kOfficialRepositoryPrefix = "library/";
constexpr size_t kMaxNameLength = 255;

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alnum(char c) { return is_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }

Unexpected<Error> invalid(std::string_view detail = {}) {
  if (detail.empty()) return unexpected(Error("invalid reference format"));
  return unexpected(Error(fmt::format("invalid reference format: {}", detail)));
}

// path-component := [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)*
bool is_path_component(std::string_view component) {
  size_t i = 0;
  auto alnum_run = [&] {
    size_t start = i;
    while (i < component.size() && is_lower_alnum(component[i])) ++i;
    return i > start;
  };
  if (!alnum_run()) return false;
  while (i < component.size()) {
    char c = component[i];
    if (c == '.') {
      ++i;
    } else if (c == '_') {
      ++i;
      if (i < component.size() && component[i] == '_') ++i;
    } else if (c == '-') {
      while (i < component.size() && component[i] == '-') ++i;
    } else {
      return false;
    }
    if (!alnum_run()) return false;
  }
  return true;
}

// domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool is_domain_component(std::string_view component) {
  if (component.empty() || !is_alnum(component.front()) || !is_alnum(component.back())) return false;
  for (char c : component)
    if (!is_alnum(c) && c != '-') return false;
  return true;
}

// host [":" port], where host is dotted domain components or a bracketed IPv6 address.
bool is_domain(std::string_view domain) {
  std::string_view host = domain;
  if (!domain.empty() && domain.front() == '[') {
    size_t close = domain.find(']');
    if (close == std::string_view::npos || close < 3) return false;
    for (char c : domain.substr(1, close - 1))
      if (!is_hex(static_cast<char>(c | 0x20)) && c != ':') return false;
    host = {};
    domain.remove_prefix(close + 1);
  } else {
    size_t colon = domain.find(':');
    host = domain.substr(0, colon);
    domain = colon == std::string_view::npos ? std::string_view{} : domain.substr(colon);
    size_t start = 0;
    for (;;) {
      size_t dot = host.find('.', start);
      if (!is_domain_component(host.substr(start, dot == std::string_view::npos ? host.npos : dot - start)))
        return false;
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
  }
  if (domain.empty()) return true;
  if (domain.front() != ':' || domain.size() < 2) return false;
  for (char c : domain.substr(1))
    if (!is_digit(c)) return false;
  return true;
}

bool is_full_hex_id(std::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text)
    if (!is_hex(c)) return false;
  return true;
}

std::string to_lower(std::string_view text) {
  std::string lowered(text);
  for (auto& c : lowered)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return lowered;
}

}  // namespace

bool is_valid_tag(std::string_view tag) {
  if (tag.empty() || tag.size() > 128) return false;
  auto word = [](char c) { return is_alnum(c) || c == '_'; };
  if (!word(tag.front())) return false;
  for (char c : tag)
    if (!word(c) && c != '.' && c != '-') return false;
  return true;
}

std::string Reference::repository() const { return domain + "/" + path; }

std::string Reference::familiar_repository() const {
  if (domain != kDefaultDomain) return repository();
  if (path.starts_with(kOfficialRepositoryPrefix) &&
      path.find('/', kOfficialRepositoryPrefix.size()) == std::string::npos)
    return path.substr(kOfficialRepositoryPrefix.size());
  return path;
}

std::string Reference::full() const {
  std::string text = repository();
  if (!tag.empty()) text += ":" + tag;
  if (!digest.empty()) text += "@" + digest;
  return text;
}

std::string Reference::familiar() const {
  std::string text = familiar_repository();
  if (!tag.empty()) text += ":" + tag;
  if (!digest.empty()) text += "@" + digest;
  return text;
}

Result<Reference> parse_reference(std::string_view text) {
  if (text.empty()) return invalid();
  if (is_full_hex_id(text))
    return unexpected(Error(
        fmt::format("invalid repository name ({}), cannot specify 64-byte hexadecimal strings", text)));

  Reference reference;
  std::string_view remainder = text;
  if (size_t at = remainder.find('@'); at != std::string_view::npos) {
    std::string_view digest = remainder.substr(at + 1);
    remainder = remainder.substr(0, at);
    if (!digest.starts_with("sha256:")) {
      if (digest.find(':') == std::string_view::npos) return invalid();
      return unexpected(Error(fmt::format("unsupported digest algorithm in reference {}", text)));
    }
    if (!is_sha256_digest(digest)) return unexpected(Error(fmt::format("invalid checksum digest format: {}", digest)));
    reference.digest = std::string(digest);
  }
  // A ':' after the last '/' starts the tag; one before it belongs to a registry's port.
  size_t last_slash = remainder.rfind('/');
  size_t colon = remainder.rfind(':');
  if (colon != std::string_view::npos && (last_slash == std::string_view::npos || colon > last_slash)) {
    std::string_view tag = remainder.substr(colon + 1);
    if (!is_valid_tag(tag)) return invalid();
    reference.tag = std::string(tag);
    remainder = remainder.substr(0, colon);
  }
  if (remainder.empty()) return invalid();

  // Docker's rule for the registry part: the first component is a domain only when more follows and it looks like
  // a host name (has '.' or ':', is "localhost", or has upper case, which a repository path never may).
  size_t first_slash = remainder.find('/');
  std::string_view head = remainder.substr(0, first_slash);
  std::string_view name_path = remainder;
  std::string domain;
  if (first_slash == std::string_view::npos ||
      (head.find_first_of(".:") == std::string_view::npos && head != "localhost" && to_lower(head) == head)) {
    domain = kDefaultDomain;
  } else {
    domain = std::string(head);
    name_path = remainder.substr(first_slash + 1);
  }
  if (domain == kLegacyDefaultDomain) domain = kDefaultDomain;
  std::string path(name_path);
  if (domain == kDefaultDomain && path.find('/') == std::string::npos)
    path = std::string(kOfficialRepositoryPrefix) + path;
  if (to_lower(path) != path) return invalid(fmt::format("repository name ({}) must be lowercase", path));

  if (!is_domain(domain)) return invalid();
  size_t start = 0;
  for (;;) {
    size_t slash = path.find('/', start);
    if (!is_path_component(std::string_view(path).substr(start, slash == std::string::npos ? path.npos : slash - start)))
      return invalid();
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (domain.size() + 1 + path.size() > kMaxNameLength)
    return invalid(fmt::format("repository name must not be more than {} characters", kMaxNameLength));

  reference.domain = std::move(domain);
  reference.path = std::move(path);
  if (reference.tag.empty() && reference.digest.empty()) reference.tag = "latest";
  return reference;
}

}  // namespace berth::image
