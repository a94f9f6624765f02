#include "delivery/store_lane.hpp"

#include <spdlog/spdlog.h>

#include <exception>

namespace axon {

StoreLane::StoreLane(std::function<void()> on_done) : on_done_(std::move(on_done)) {
  thread_ = std::thread([this] { loop(); });
}

StoreLane::~StoreLane() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_one();
  thread_.join();
}

void StoreLane::post(Task task) {
  {
    std::lock_guard lock(mu_);
    tasks_.push_back(std::move(task));
  }
  work_cv_.notify_one();
}

void StoreLane::run_completions() {
  std::vector<Continuation> ready;
  {
    std::lock_guard lock(mu_);
    ready.swap(done_);
  }
  for (auto& continuation : ready) {
    if (continuation) continuation();
  }
}

void StoreLane::wait_idle() {
  std::unique_lock lock(mu_);
  idle_cv_.wait(lock, [&] { return tasks_.empty() && running_ == 0; });
}

void StoreLane::loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    work_cv_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
    if (tasks_.empty()) return;  // stopping, and everything ran
    Task task = std::move(tasks_.front());
    tasks_.pop_front();
    ++running_;
    lock.unlock();
    Continuation continuation;
    try {
      continuation = task();
    } catch (const std::exception& e) {  // store calls return errors as values; belt and braces
      spdlog::error("store lane: task failed: {}", e.what());
    }
    lock.lock();
    --running_;
    done_.push_back(std::move(continuation));
    if (tasks_.empty()) idle_cv_.notify_all();
    lock.unlock();
    on_done_();
    lock.lock();
  }
}

}  // namespace axon
