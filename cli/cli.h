#pragma once

namespace berth::cli {

// The whole command line: dispatches on argv[0] ("berth-runtime" behaves as "berth runtime") and the subcommand.
int main(int argc, char** argv);

}  // namespace berth::cli
