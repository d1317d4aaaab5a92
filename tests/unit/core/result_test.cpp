#include <catch2/catch.hpp>

#include "core/result.h"

using berth::Error;
using berth::Result;

namespace {

Result<int> parse_positive(int value) {
  if (value <= 0) return berth::unexpected(Error("not positive"));
  return value;
}

Result<int> doubled(int value) {
  int parsed = BERTH_TRY(parse_positive(value));
  return parsed * 2;
}

Result<void> checked(int value) {
  BERTH_TRY_CONTEXT(parse_positive(value), "checking");
  return {};
}

}  // namespace

TEST_CASE("BERTH_TRY returns the value on success and the error on failure") {
  REQUIRE(doubled(4).value() == 8);
  auto failed = doubled(-1);
  REQUIRE_FALSE(failed);
  CHECK(failed.error().message() == "not positive");
}

TEST_CASE("context is prefixed on the way up") {
  auto failed = checked(0);
  REQUIRE_FALSE(failed);
  CHECK(failed.error().message() == "checking: not positive");
  CHECK(checked(3).has_value());
}

TEST_CASE("errno errors carry the errno and its text") {
  auto error = Error::from_errno("open /nowhere", ENOENT);
  CHECK(error.errno_value() == ENOENT);
  CHECK(error.message() == "open /nowhere: No such file or directory");
  CHECK(std::move(error).wrap("loading").message() == "loading: open /nowhere: No such file or directory");
}
