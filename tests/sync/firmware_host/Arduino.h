// Host (Linux) stand-in for the few Arduino APIs lsi_sync.ino uses, so the reference firmware
// can be compiled with g++ and driven by the real Python backend over a pty in the tests.
// Serial = fds 0/1; each byte written to the fd named by LSISYNC_EDGE_FD fires an interrupt:
// 'e' the TRIG_OUT_1 one (pin 2), 't' the TRIG_OUT_2 one (pin 3); digitalWrite() changes are logged as "pin value micros" lines to the file
// named by LSISYNC_PIN_LOG.
#pragma once

#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HIGH 1
#define LOW 0
#define INPUT 0
#define OUTPUT 1
#define RISING 3

void pinMode(uint8_t pin, uint8_t mode);
void digitalWrite(uint8_t pin, uint8_t value);
uint32_t micros();
void noInterrupts();
void interrupts();
int digitalPinToInterrupt(uint8_t pin);
void attachInterrupt(int interrupt, void (*isr)(), int mode);

class HostSerial {
 public:
  void begin(uint32_t baud);
  int available();
  int read();
  size_t print(const char *text);
  size_t print(char c);
  size_t print(unsigned char value);
  size_t print(int value);
  size_t print(unsigned int value);
  size_t print(long value);
  size_t print(unsigned long value);

 private:
  size_t write(const char *data, size_t n);
  char buf_[256];
  size_t head_ = 0;
  size_t tail_ = 0;
};

extern HostSerial Serial;
