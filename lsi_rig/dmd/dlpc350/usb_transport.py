"""Raw 64-byte HID reports to and from the LightCrafter 4500 over pyusb.

Interrupt OUT endpoint 0x01, IN endpoint 0x81, interface 0 (hardware.md §1.10). On Linux the
usbhid driver owns the interface, so it is detached before the claim ("Resource busy", errno
16); every transfer has a timeout so a silent device raises instead of hanging. The pyusb
backend is pluggable: the rig config names it, and the DLPC350 emulator is one.
"""

from __future__ import annotations

import errno
import logging
from typing import Any

from lsi_rig.core.errors import ConfigError, DeviceError, DeviceNotFoundError, DeviceTimeoutError

log = logging.getLogger(__name__)

VENDOR_ID = 0x0451
PRODUCT_ID = 0x6401
EP_OUT = 0x01
EP_IN = 0x81
INTERFACE = 0
REPORT_BYTES = 64

DEVICE = "DLPC350 (LightCrafter 4500, USB 0451:6401)"
NOT_FOUND_HINT = (
    "check the USB cable and that the board is powered. Linux: allow access with a udev rule, "
    'e.g. /etc/udev/rules.d/99-lightcrafter.rules: SUBSYSTEM=="usb", ATTR{idVendor}=="0451", '
    'ATTR{idProduct}=="6401", MODE="0666" (then replug). Windows: pyusb needs a libusb driver '
    "for the device (libusb-win32 or WinUSB, installed with Zadig); note that this stops TI's "
    "HID-based LightCrafter GUI from seeing the board"
)


def resolve_usb_backend(spec: str | None, endpoints: dict[str, Any] | None = None) -> Any:
    """The pyusb backend named by the rig config (None: pyusb's default libusb lookup).

    ``"emulator"`` takes ``endpoints["dlpc350_usb_backend"]``; any other value is the name of a
    plug-in registered in the ``lsi_rig.usb_backends`` entry-point group by an installed
    package, naming an ``usb.backend.IBackend`` instance or a zero-argument factory. A
    ``module:attribute`` string is refused before anything is imported.
    """
    if spec is None:
        return None
    import usb.backend

    from lsi_rig.core.plugins import USB_BACKENDS_GROUP, load_plugin

    if spec == "emulator":
        if not endpoints or "dlpc350_usb_backend" not in endpoints:
            raise ConfigError(
                "devices.dmd.usb_backend is 'emulator' but no DLPC350 emulator is running "
                "(enable emulators.dlpc350_usb in the rig config)"
            )
        obj = endpoints["dlpc350_usb_backend"]
    else:
        try:
            obj = load_plugin(USB_BACKENDS_GROUP, spec)
        except ValueError as exc:
            raise ConfigError(f"devices.dmd.usb_backend: {exc}") from None
        except ConfigError as exc:
            raise ConfigError(f"devices.dmd.usb_backend: {exc}") from exc
        if not isinstance(obj, usb.backend.IBackend) and callable(obj):
            obj = obj()
    if not isinstance(obj, usb.backend.IBackend):
        raise ConfigError(
            f"devices.dmd.usb_backend '{spec}' is not a pyusb backend (usb.backend.IBackend) "
            "nor a zero-argument factory returning one"
        )
    return obj


class UsbHidTransport:
    """Open device, claimed interface, report-level write/read with timeouts."""

    def __init__(self, backend: Any = None, *, timeout_ms: int = 2000) -> None:
        import usb.core

        self.timeout_ms = int(timeout_ms)
        self._detached = False
        try:
            dev = usb.core.find(idVendor=VENDOR_ID, idProduct=PRODUCT_ID, backend=backend)
        except usb.core.NoBackendError as exc:
            raise DeviceNotFoundError(
                f"{DEVICE}: pyusb found no libusb backend ({exc}). Install libusb-1.0 "
                "(Linux: apt install libusb-1.0-0; Windows: the libusb DLL or a Zadig driver)"
            ) from exc
        if dev is None:
            raise DeviceNotFoundError(f"{DEVICE} not found. {NOT_FOUND_HINT}")
        self._dev = dev
        try:
            self._claim()
        except usb.core.USBError as exc:
            raise self._usb_error("opening", exc) from exc

    def _claim(self) -> None:
        import usb.core
        import usb.util

        try:
            if self._dev.is_kernel_driver_active(INTERFACE):
                self._dev.detach_kernel_driver(INTERFACE)
                self._detached = True
        except NotImplementedError:  # Windows/macOS backends and some emulators
            pass
        try:
            self._dev.set_configuration()
        except usb.core.USBError as exc:
            if exc.errno != errno.EBUSY:  # already configured by another driver: keep it
                raise
        usb.util.claim_interface(self._dev, INTERFACE)

    def _usb_error(self, action: str, exc: Exception) -> DeviceError:
        import usb.core

        if isinstance(exc, usb.core.USBTimeoutError):
            return DeviceTimeoutError(
                f"{DEVICE}: no answer within {self.timeout_ms} ms while {action}; check the "
                "USB connection and that the board is not in standby or in the bootloader"
            )
        code = getattr(exc, "errno", None)
        if code == errno.EACCES:
            return DeviceNotFoundError(f"{DEVICE}: access denied while {action}. {NOT_FOUND_HINT}")
        if code == errno.EBUSY:
            return DeviceError(
                f"{DEVICE}: interface busy while {action} (another program, e.g. TI's GUI or "
                "the usbhid driver, holds it); close it and retry"
            )
        if code in (errno.ENODEV, errno.EPIPE, errno.EIO):
            return DeviceError(f"{DEVICE}: disconnected while {action} ({exc}); reconnect it")
        return DeviceError(f"{DEVICE}: USB error while {action}: {exc}")

    def write_report(self, report: bytes) -> None:
        import usb.core

        if len(report) != REPORT_BYTES:
            raise ValueError(f"HID report must be {REPORT_BYTES} bytes, got {len(report)}")
        try:
            written = self._dev.write(EP_OUT, report, self.timeout_ms)
        except usb.core.USBError as exc:
            raise self._usb_error("writing", exc) from exc
        if written != REPORT_BYTES:
            raise DeviceError(f"{DEVICE}: short write ({written} of {REPORT_BYTES} bytes)")

    def read_report(self) -> bytes:
        import usb.core

        try:
            data = self._dev.read(EP_IN, REPORT_BYTES, self.timeout_ms)
        except usb.core.USBError as exc:
            raise self._usb_error("waiting for a reply", exc) from exc
        return bytes(data)

    def close(self) -> None:
        import usb.core
        import usb.util

        try:
            usb.util.release_interface(self._dev, INTERFACE)
            if self._detached:
                self._dev.attach_kernel_driver(INTERFACE)
        except (usb.core.USBError, NotImplementedError) as exc:
            log.debug("DLPC350 USB release: %s", exc)
        finally:
            usb.util.dispose_resources(self._dev)
