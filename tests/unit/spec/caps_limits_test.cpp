// Capability sets (--cap-add/--cap-drop/--privileged) and --ulimit parsing.
#include <catch2/catch.hpp>

#include <algorithm>

#include "engine/spec/parts.h"
#include "engine/spec/spec.h"

using berth::spec::effective_capabilities;
using Caps = std::vector<std::string>;

namespace {

bool has(const Caps& caps, const std::string& name) { return std::find(caps.begin(), caps.end(), name) != caps.end(); }

}  // namespace

TEST_CASE("the default set is Docker's 14 capabilities") {
  auto caps = effective_capabilities({}, {}, false);
  REQUIRE(caps);
  CHECK(caps->size() == 14);
  CHECK(*caps == berth::spec::default_capabilities());
  for (const char* expected : {"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
                               "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
                               "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"})
    CHECK(has(*caps, expected));
  CHECK_FALSE(has(*caps, "CAP_SYS_ADMIN"));
}

TEST_CASE("--cap-add and --cap-drop accept names with or without CAP_, in any case") {
  auto caps = effective_capabilities({"net_admin", "CAP_SYS_PTRACE"}, {"Mknod", "CAP_NET_RAW"}, false);
  REQUIRE(caps);
  CHECK(has(*caps, "CAP_NET_ADMIN"));
  CHECK(has(*caps, "CAP_SYS_PTRACE"));
  CHECK_FALSE(has(*caps, "CAP_MKNOD"));
  CHECK_FALSE(has(*caps, "CAP_NET_RAW"));
  CHECK(caps->size() == 14);
  auto again = effective_capabilities({"CHOWN"}, {}, false);  // adding a default does not duplicate it
  REQUIRE(again);
  CHECK(again->size() == 14);
}

TEST_CASE("--cap-drop ALL keeps only what is added; --cap-add ALL keeps everything not dropped") {
  auto dropped = effective_capabilities({"NET_BIND_SERVICE"}, {"ALL"}, false);
  REQUIRE(dropped);
  CHECK(*dropped == Caps{"CAP_NET_BIND_SERVICE"});
  auto none = effective_capabilities({}, {"all"}, false);
  REQUIRE(none);
  CHECK(none->empty());
  auto added = effective_capabilities({"ALL"}, {"SYS_ADMIN"}, false);
  REQUIRE(added);
  CHECK(added->size() == 40);
  CHECK_FALSE(has(*added, "CAP_SYS_ADMIN"));
  CHECK(has(*added, "CAP_CHECKPOINT_RESTORE"));
}

TEST_CASE("--privileged gets every capability up to CAP_CHECKPOINT_RESTORE, whatever is dropped") {
  auto caps = effective_capabilities({}, {"ALL"}, true);
  REQUIRE(caps);
  CHECK(caps->size() == 41);
  CHECK(caps->front() == "CAP_CHOWN");
  CHECK(caps->back() == "CAP_CHECKPOINT_RESTORE");
  CHECK(has(*caps, "CAP_SYS_ADMIN"));
  CHECK(has(*caps, "CAP_BPF"));
}

TEST_CASE("an unknown capability is an error naming it") {
  auto caps = effective_capabilities({"NET_ADMN"}, {}, false);
  REQUIRE_FALSE(caps);
  CHECK(caps.error().message() == "--cap-add: unknown capability: \"CAP_NET_ADMN\"");
  auto dropped = effective_capabilities({}, {"bogus"}, false);
  REQUIRE_FALSE(dropped);
  CHECK(dropped.error().message().find("CAP_BOGUS") != std::string::npos);
}

TEST_CASE("parse_ulimit reads name=soft[:hard]") {
  auto both = berth::spec::parse_ulimit("nofile=1024:2048");
  REQUIRE(both);
  CHECK(*both == berth::spec::Ulimit{"nofile", 1024, 2048});
  auto single = berth::spec::parse_ulimit("nproc=512");
  REQUIRE(single);
  CHECK(*single == berth::spec::Ulimit{"nproc", 512, 512});
  auto unlimited = berth::spec::parse_ulimit("core=-1");
  REQUIRE(unlimited);
  CHECK(unlimited->soft == -1);
  CHECK(unlimited->hard == -1);
}

TEST_CASE("parse_ulimit rejects what Docker rejects") {
  auto no_equals = berth::spec::parse_ulimit("nofile");
  REQUIRE_FALSE(no_equals);
  CHECK(no_equals.error().message() == "invalid ulimit argument: nofile");
  auto unknown = berth::spec::parse_ulimit("files=10");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().message() == "invalid ulimit type: files");
  auto inverted = berth::spec::parse_ulimit("nofile=2048:1024");
  REQUIRE_FALSE(inverted);
  CHECK(inverted.error().message() == "ulimit soft limit must be less than or equal to hard limit: 2048 > 1024");
  CHECK_FALSE(berth::spec::parse_ulimit("nofile=1:2:3"));
  CHECK_FALSE(berth::spec::parse_ulimit("nofile=abc"));
  CHECK_FALSE(berth::spec::parse_ulimit("nofile=-1:100"));  // unlimited soft over a finite hard
}

TEST_CASE("the default RLIMIT_NOFILE is Docker's, capped at berth's own hard limit; absent when unknown") {
  using berth::spec::Ulimit;
  using berth::spec::detail::effective_ulimits;
  berth::spec::RunOptions options;
  CHECK(effective_ulimits(options, std::nullopt).empty());  // inherit, as Docker's containers do
  CHECK(effective_ulimits(options, 1048576) == std::vector<Ulimit>{{"nofile", 1024, 524288}});
  CHECK(effective_ulimits(options, -1) == std::vector<Ulimit>{{"nofile", 1024, 524288}});
  CHECK(effective_ulimits(options, 20000) == std::vector<Ulimit>{{"nofile", 1024, 20000}});  // cannot raise
  CHECK(effective_ulimits(options, 512) == std::vector<Ulimit>{{"nofile", 512, 512}});
}

TEST_CASE("--ulimit entries: later ones of the same name win, and nofile replaces the default") {
  using berth::spec::Ulimit;
  berth::spec::RunOptions options;
  options.ulimits = {{"nproc", 10, 10}, {"nofile", 100, 200}, {"nproc", 20, 30}};
  auto given = berth::spec::detail::effective_ulimits(options, 1048576);
  CHECK(given == std::vector<Ulimit>{{"nproc", 20, 30}, {"nofile", 100, 200}});
}
