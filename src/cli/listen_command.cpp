#include "cli/commands.hpp"
namespace axon::cli {
void register_listen_command(CLI::App&) {}  // placeholder: replaced by the receiver toolkit work
}
