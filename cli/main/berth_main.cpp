#include "cli/cli.h"

int main(int argc, char** argv) { return berth::cli::main(argc, argv); }
