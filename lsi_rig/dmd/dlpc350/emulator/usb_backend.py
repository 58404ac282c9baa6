"""A pyusb backend (``usb.backend.IBackend``) that enumerates one emulated LightCrafter 4500.

The real pyusb core (``usb.core.find(backend=...)``, ``Device.write/read``, claim, detach) runs
unchanged on top of it: the descriptors say VID 0x0451, PID 0x6401, one HID interface with
interrupt endpoints 0x01 OUT and 0x81 IN of 64 bytes. OUT reports are reassembled into messages
for the controller; its replies queue on the IN endpoint. Every transfer is logged, so tests can
check the bytes on the wire.
"""

from __future__ import annotations

import errno
import threading
from collections import deque
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import usb.backend
import usb.core

from lsi_rig.dmd.dlpc350.emulator.device import Dlpc350Controller
from lsi_rig.dmd.dlpc350.hid import Message, MessageAssembler
from lsi_rig.dmd.dlpc350.usb_transport import EP_IN, EP_OUT, PRODUCT_ID, VENDOR_ID

_DEVICE = SimpleNamespace(
    bLength=18,
    bDescriptorType=1,
    bcdUSB=0x0200,
    bDeviceClass=0,
    bDeviceSubClass=0,
    bDeviceProtocol=0,
    bMaxPacketSize0=64,
    idVendor=VENDOR_ID,
    idProduct=PRODUCT_ID,
    bcdDevice=0x0100,
    iManufacturer=0,
    iProduct=0,
    iSerialNumber=0,
    bNumConfigurations=1,
    address=7,
    bus=1,
    port_number=1,
    port_numbers=(1,),
    speed=2,
)
_CONFIG = SimpleNamespace(
    bLength=9,
    bDescriptorType=2,
    wTotalLength=41,
    bNumInterfaces=1,
    bConfigurationValue=1,
    iConfiguration=0,
    bmAttributes=0x80,
    bMaxPower=250,
    extra_descriptors=[],
)
_INTERFACE = SimpleNamespace(
    bLength=9,
    bDescriptorType=4,
    bInterfaceNumber=0,
    bAlternateSetting=0,
    bNumEndpoints=2,
    bInterfaceClass=3,
    bInterfaceSubClass=0,
    bInterfaceProtocol=0,
    iInterface=0,
    extra_descriptors=[],
)
_ENDPOINTS = (
    SimpleNamespace(
        bLength=7,
        bDescriptorType=5,
        bEndpointAddress=EP_IN,
        bmAttributes=3,
        wMaxPacketSize=64,
        bInterval=1,
        bRefresh=0,
        bSynchAddress=0,
        extra_descriptors=[],
    ),
    SimpleNamespace(
        bLength=7,
        bDescriptorType=5,
        bEndpointAddress=EP_OUT,
        bmAttributes=3,
        wMaxPacketSize=64,
        bInterval=1,
        bRefresh=0,
        bSynchAddress=0,
        extra_descriptors=[],
    ),
)


@dataclass(frozen=True)
class UsbTransfer:
    """One interrupt transfer as seen on the wire (``direction`` 'out' host→device or 'in')."""

    direction: str
    endpoint: int
    data: bytes


class Dlpc350UsbBackend(usb.backend.IBackend):  # type: ignore[misc]
    """pyusb backend for the emulated DLPC350."""

    def __init__(self, controller: Dlpc350Controller) -> None:
        self.controller = controller
        self.transfers: list[UsbTransfer] = []
        self.messages: list[Message] = []
        self.kernel_driver_active = True  # usbhid binds the HID interface on Linux
        self.claimed = False
        self.timeouts_ms: set[int] = set()  # every timeout the host passed (never 0 = forever)
        self._assembler = MessageAssembler()
        self._replies: deque[bytes] = deque()
        self._lock = threading.RLock()
        self._dev_id = object()

    # -- helpers for tests ----------------------------------------------------------------
    def clear_log(self) -> None:
        with self._lock:
            self.transfers.clear()
            self.messages.clear()

    def _check_connected(self) -> None:
        self.controller.apply_due()
        if self.controller.faults.disconnected:
            raise usb.core.USBError(
                "No such device (it may have been disconnected)", -4, errno.ENODEV
            )

    # -- enumeration and descriptors ------------------------------------------------------
    def enumerate_devices(self) -> list[Any]:
        self.controller.apply_due()
        return [] if self.controller.faults.disconnected else [self._dev_id]

    def get_device_descriptor(self, dev: Any) -> Any:
        return _DEVICE

    def get_configuration_descriptor(self, dev: Any, config: int) -> Any:
        if config != 0:
            raise IndexError(config)
        return _CONFIG

    def get_interface_descriptor(self, dev: Any, intf: int, alt: int, config: int) -> Any:
        if (intf, alt, config) != (0, 0, 0):
            raise IndexError((intf, alt, config))
        return _INTERFACE

    def get_endpoint_descriptor(self, dev: Any, ep: int, intf: int, alt: int, config: int) -> Any:
        if (intf, alt, config) != (0, 0, 0) or not 0 <= ep < len(_ENDPOINTS):
            raise IndexError(ep)
        return _ENDPOINTS[ep]

    # -- device handle --------------------------------------------------------------------
    def open_device(self, dev: Any) -> Any:
        self._check_connected()
        return SimpleNamespace(dev=dev)

    def close_device(self, dev_handle: Any) -> None:
        pass

    def set_configuration(self, dev_handle: Any, config_value: int) -> None:
        self._check_connected()

    def get_configuration(self, dev_handle: Any) -> int:
        return 1

    def set_interface_altsetting(self, dev_handle: Any, intf: int, altsetting: int) -> None:
        pass

    def claim_interface(self, dev_handle: Any, intf: int) -> None:
        self._check_connected()
        if self.kernel_driver_active:
            raise usb.core.USBError("Resource busy", -6, errno.EBUSY)
        self.claimed = True

    def release_interface(self, dev_handle: Any, intf: int) -> None:
        self.claimed = False

    def is_kernel_driver_active(self, dev_handle: Any, intf: int) -> bool:
        return self.kernel_driver_active

    def detach_kernel_driver(self, dev_handle: Any, intf: int) -> None:
        self.kernel_driver_active = False

    def attach_kernel_driver(self, dev_handle: Any, intf: int) -> None:
        self.kernel_driver_active = True

    def clear_halt(self, dev_handle: Any, ep: int) -> None:
        pass

    def reset_device(self, dev_handle: Any) -> None:
        pass

    # -- transfers ------------------------------------------------------------------------
    def intr_write(self, dev_handle: Any, ep: int, intf: int, data: Any, timeout: int) -> int:
        with self._lock:
            self._check_connected()
            if ep != EP_OUT:
                raise usb.core.USBError("Pipe error", -9, errno.EPIPE)
            self.timeouts_ms.add(timeout)
            report = bytes(data)
            self.transfers.append(UsbTransfer("out", ep, report))
            message = self._assembler.feed(report)
            if message is not None:
                self.messages.append(message)
                reply = self.controller.handle(message)
                if reply is not None and not self.controller.faults.silent:
                    self._replies.append(reply)
            return len(report)

    def intr_read(self, dev_handle: Any, ep: int, intf: int, buff: Any, timeout: int) -> int:
        with self._lock:
            self._check_connected()
            if ep != EP_IN:
                raise usb.core.USBError("Pipe error", -9, errno.EPIPE)
            self.timeouts_ms.add(timeout)
            if not self._replies:  # a real device would answer nothing for `timeout` ms
                raise usb.core.USBTimeoutError("Operation timed out", -7, errno.ETIMEDOUT)
            report = self._replies.popleft()
            self.transfers.append(UsbTransfer("in", ep, report))
            n = min(len(report), len(buff))
            buff[:n] = type(buff)(buff.typecode, report[:n])
            return n

    bulk_write = intr_write
    bulk_read = intr_read
