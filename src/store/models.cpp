#include "store/models.hpp"

namespace axon {

std::string_view ordering_name(Ordering ordering) {
  return ordering == Ordering::fifo ? "fifo" : "parallel";
}

Ordering parse_ordering(std::string_view text) {
  return text == "fifo" ? Ordering::fifo : Ordering::parallel;
}

std::string_view status_name(DeliveryStatus status) {
  switch (status) {
    case DeliveryStatus::pending:
      return "pending";
    case DeliveryStatus::succeeded:
      return "succeeded";
    case DeliveryStatus::dead:
      return "dead";
  }
  return "pending";
}

DeliveryStatus parse_status(std::string_view text) {
  if (text == "succeeded") return DeliveryStatus::succeeded;
  if (text == "dead") return DeliveryStatus::dead;
  return DeliveryStatus::pending;
}

}  // namespace axon
