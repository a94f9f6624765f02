#include "cli/commands.hpp"
namespace axon::cli {
void register_client_commands(CLI::App&) {}  // placeholder: replaced by the CLI client work
}
