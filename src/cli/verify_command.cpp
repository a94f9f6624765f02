#include "cli/commands.hpp"
namespace axon::cli {
void register_verify_command(CLI::App&) {}  // placeholder: replaced by the receiver toolkit work
}
