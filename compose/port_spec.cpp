#include "compose/port_spec.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <optional>

namespace berth::compose {

namespace {

std::optional<uint32_t> parse_port_number(std::string_view text) {
  if (text.empty()) return std::nullopt;
  uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value > 65535) return std::nullopt;
  return static_cast<uint32_t>(value);
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t at = text.find(separator, start);
    parts.push_back(text.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) break;
    start = at + 1;
  }
  return parts;
}

}  // namespace

std::optional<PortRange> parse_port_range(std::string_view text) {
  if (text.empty()) return std::nullopt;
  size_t dash = text.find('-');
  if (dash == std::string_view::npos) {
    auto port = parse_port_number(text);
    if (!port) return std::nullopt;
    return PortRange{*port, *port};
  }
  std::vector<std::string_view> parts = split(text, '-');
  auto start = parse_port_number(parts[0]);
  auto end = parse_port_number(parts[1]);
  if (!start || !end || *end < *start) return std::nullopt;
  return PortRange{*start, *end};
}

bool is_ip_address(std::string_view text) {
  std::string copy(text);
  unsigned char buffer[16];
  return inet_pton(AF_INET, copy.c_str(), buffer) == 1 || inet_pton(AF_INET6, copy.c_str(), buffer) == 1;
}

Result<std::vector<PortSpec>> parse_port_spec(std::string_view raw) {
  auto invalid = [&](std::string_view reason) {
    std::string message = "invalid port \"" + std::string(raw) + "\"";
    if (!reason.empty()) message += ": " + std::string(reason);
    return Error(std::move(message));
  };
  std::vector<std::string_view> parts = split(raw, ':');
  size_t n = parts.size();
  std::string ip;
  std::string_view host_port, container_port = parts[n - 1];
  if (n == 2) {
    host_port = parts[0];
  } else if (n >= 3) {
    host_port = parts[n - 2];
    for (size_t i = 0; i + 2 < n; ++i) {
      if (i) ip += ':';
      ip += parts[i];
    }
  }
  // "80/udp" -> protocol and port.
  std::string protocol;
  if (!container_port.empty()) {
    std::vector<std::string_view> proto_parts = split(container_port, '/');
    if (proto_parts[0].empty()) {
      container_port = {};
    } else {
      protocol = proto_parts.size() == 1 || proto_parts[1].empty() ? "tcp" : std::string(proto_parts[1]);
      container_port = proto_parts[0];
    }
  }
  if (!ip.empty() && ip[0] == '[') {
    if (ip.size() < 2 || ip.back() != ']') return invalid("invalid IP address " + ip);
    ip = ip.substr(1, ip.size() - 2);
  }
  if (!ip.empty() && !is_ip_address(ip)) return invalid("invalid IP address " + ip);
  if (container_port.empty()) return invalid("no container port specified");
  auto container = parse_port_range(container_port);
  if (!container) {
    // The plain case reads best as the brief message: invalid port "80800".
    if (n == 1 && protocol == "tcp" && raw.find('/') == std::string_view::npos) return invalid("");
    return invalid("invalid container port " + std::string(container_port));
  }
  PortRange host{0, 0};
  if (!host_port.empty()) {
    auto parsed = parse_port_range(host_port);
    if (!parsed) return invalid("invalid host port " + std::string(host_port));
    host = *parsed;
  }
  if (!host_port.empty() && container->end - container->start != host.end - host.start &&
      container->end != container->start)
    return invalid("the container and host port ranges differ in size");
  std::string lowered = protocol;
  std::transform(lowered.begin(), lowered.end(), lowered.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lowered != "tcp" && lowered != "udp" && lowered != "sctp") return invalid("invalid protocol " + protocol);

  std::vector<PortSpec> out;
  for (uint32_t i = 0; i <= container->end - container->start; ++i) {
    PortSpec port;
    port.host_ip = ip;
    port.target = container->start + i;
    port.protocol = lowered;
    if (!host_port.empty()) {
      port.published = std::to_string(host.start + i);
      // A single container port with a host range: the range is where to pick the host port from.
      if (container->start == container->end && host.start != host.end)
        port.published += "-" + std::to_string(host.end);
    }
    out.push_back(std::move(port));
  }
  // The reference sorts the resulting ports by their "port/protocol" text.
  std::stable_sort(out.begin(), out.end(), [](const PortSpec& a, const PortSpec& b) {
    return std::to_string(a.target) + "/" + a.protocol < std::to_string(b.target) + "/" + b.protocol;
  });
  return out;
}

}  // namespace berth::compose
