// The short syntax of service ports ("8080:80", "127.0.0.1:5000-5010:5000-5010/udp", "[::1]:53:53/udp", 3000),
// read as Docker's go-connections ParsePortSpecs reads it: one entry per container port of a range.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace berth::compose {

struct PortSpec {
  std::string host_ip;    // "" for all addresses
  uint32_t target = 0;    // container port
  std::string published;  // host port, a host port range ("8000-8010"), or "" for an ephemeral one
  std::string protocol;   // tcp, udp or sctp
};

// Entries in the order the reference produces them (sorted by "port/protocol" as text). Errors read
// `invalid port "80800"` or `invalid port "1-2:3-5": ...`.
Result<std::vector<PortSpec>> parse_port_spec(std::string_view spec);

// A port range "8000-8010" or a single port; nullopt when malformed or out of 0-65535.
struct PortRange {
  uint32_t start = 0;
  uint32_t end = 0;
};
std::optional<PortRange> parse_port_range(std::string_view text);

// Is `text` an IPv4 or IPv6 address (Go's net.ParseIP)?
bool is_ip_address(std::string_view text);

}  // namespace berth::compose
