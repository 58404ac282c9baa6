// Runs setup() once and loop() forever, like the Arduino core; exits when the pty hangs up.
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "Arduino.h"

void setup();
void loop();

HostSerial Serial;
static void (*g_isr[8])() = {nullptr};
static int g_edge_fd = -1;
static FILE *g_pin_log = nullptr;

static uint64_t now_us() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000ULL;
}

static const uint64_t g_t0_us = now_us();

uint32_t micros() { return (uint32_t)(now_us() - g_t0_us); }
void pinMode(uint8_t, uint8_t) {}
void noInterrupts() {}
void interrupts() {}
int digitalPinToInterrupt(uint8_t pin) { return pin; }
void attachInterrupt(int interrupt, void (*isr)(), int) {
  if (interrupt >= 0 && interrupt < 8) g_isr[interrupt] = isr;
}

// 'e' = a TRIG_OUT_1 rising edge (pin 2), 't' = a TRIG_OUT_2 rising edge (pin 3): the
// firmware's default pins.
static void edge(char kind) {
  int pin = kind == 't' ? 3 : 2;
  if (g_isr[pin]) g_isr[pin]();
}

void digitalWrite(uint8_t pin, uint8_t value) {
  if (g_pin_log) {
    fprintf(g_pin_log, "%u %u %lu\n", pin, value, (unsigned long)micros());
    fflush(g_pin_log);
  }
}

// Edges written before a request must be counted before the request is read: drain them first.
static void drain_edges() {
  char chunk[64];
  ssize_t n;
  while (g_edge_fd >= 0 && (n = read(g_edge_fd, chunk, sizeof chunk)) > 0) {
    for (ssize_t i = 0; i < n; i++) edge(chunk[i]);
  }
}

void HostSerial::begin(uint32_t) {}

int HostSerial::available() {
  drain_edges();
  if (head_ == tail_) {
    head_ = tail_ = 0;
    pollfd fds[1] = {{0, POLLIN, 0}};
    if (poll(fds, 1, 0) == 0) {
      usleep(50);  // idle: do not spin a whole core
      return 0;
    }
    ssize_t n = ::read(0, buf_, sizeof buf_);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) exit(0);  // hung up
    if (n > 0) tail_ = (size_t)n;
  }
  return (int)(tail_ - head_);
}

int HostSerial::read() { return head_ < tail_ ? (unsigned char)buf_[head_++] : -1; }

size_t HostSerial::write(const char *data, size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t w = ::write(1, data + done, n - done);
    if (w < 0 && errno != EAGAIN && errno != EINTR) exit(0);
    if (w > 0) done += (size_t)w;
  }
  return n;
}

size_t HostSerial::print(const char *text) { return write(text, strlen(text)); }
size_t HostSerial::print(char c) { return write(&c, 1); }
size_t HostSerial::print(unsigned char v) { return print((unsigned long)v); }
size_t HostSerial::print(int v) { return print((long)v); }
size_t HostSerial::print(unsigned int v) { return print((unsigned long)v); }
size_t HostSerial::print(long v) {
  char s[24];
  return write(s, (size_t)snprintf(s, sizeof s, "%ld", v));
}
size_t HostSerial::print(unsigned long v) {
  char s[24];
  return write(s, (size_t)snprintf(s, sizeof s, "%lu", v));
}

int main() {
  const char *edge_fd = getenv("LSISYNC_EDGE_FD");
  const char *pin_log = getenv("LSISYNC_PIN_LOG");
  if (edge_fd) g_edge_fd = atoi(edge_fd);
  if (pin_log) g_pin_log = fopen(pin_log, "w");
  setup();
  for (;;) loop();
}
