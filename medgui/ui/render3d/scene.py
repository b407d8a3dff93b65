"""The 3-D scene: an offscreen VTK render window with the label surfaces, a volume rendering of
the image, a crosshair marker and a camera, read back as an RGB array (Qt-free).

Geometry: the image and the meshes are in millimetres of the grid's index frame (spacing
applied, origin at voxel 0); every prop carries the grid's rotation and origin as its user
matrix, so the world of this scene is patient LPS and a pick returns LPS millimetres.

Without a display VTK's default X window cannot open: EGL (Mesa's software driver where there is
no GPU) renders headless, chosen before VTK's OpenGL module loads.
"""

from __future__ import annotations

import os
import sys

if sys.platform.startswith("linux") and not (
    os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
):
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

import numpy as np  # noqa: E402
import vtkmodules.vtkRenderingOpenGL2  # noqa: E402,F401  (registers the OpenGL back end)
import vtkmodules.vtkRenderingVolumeOpenGL2  # noqa: E402,F401  (the volume mappers)
from vtkmodules.util.numpy_support import numpy_to_vtk, vtk_to_numpy  # noqa: E402
from vtkmodules.vtkCommonCore import vtkUnsignedCharArray  # noqa: E402
from vtkmodules.vtkCommonDataModel import (  # noqa: E402
    vtkImageData,
    vtkPiecewiseFunction,
)
from vtkmodules.vtkCommonMath import vtkMatrix4x4  # noqa: E402
from vtkmodules.vtkFiltersSources import vtkSphereSource  # noqa: E402
from vtkmodules.vtkRenderingCore import (  # noqa: E402
    vtkActor,
    vtkCellPicker,
    vtkColorTransferFunction,
    vtkPolyDataMapper,
    vtkRenderer,
    vtkRenderWindow,
    vtkVolume,
    vtkVolumeProperty,
)
from vtkmodules.vtkRenderingVolumeOpenGL2 import vtkSmartVolumeMapper  # noqa: E402

from medgui.core.image.volume import Volume  # noqa: E402
from medgui.ui.render3d import VOLUME_MODES  # noqa: E402
from medgui.ui.render3d.surfaces import Surface  # noqa: E402

# CT transfer functions (HU → colour, HU → opacity), as 3D Slicer's presets of the same names.
VOLUME_PRESETS = {
    "bone": (
        ((150, (0.55, 0.25, 0.15)), (300, (0.9, 0.82, 0.66)), (1200, (1.0, 1.0, 0.95))),
        ((150, 0.0), (300, 0.15), (700, 0.6), (1200, 0.85)),
    ),
    "soft tissue": (
        (
            (-500, (0.3, 0.3, 1.0)),
            (-100, (0.9, 0.75, 0.45)),
            (40, (0.85, 0.35, 0.3)),
            (200, (1.0, 0.9, 0.85)),
        ),
        ((-500, 0.0), (-150, 0.0), (-80, 0.04), (20, 0.12), (80, 0.35), (400, 0.6)),
    ),  # fmt: skip
    "vessels": (
        ((100, (0.6, 0.0, 0.0)), (200, (0.9, 0.2, 0.1)), (400, (1.0, 0.9, 0.8))),
        ((100, 0.0), (180, 0.25), (400, 0.7), (1000, 0.8)),
    ),
}
BACKGROUND = (0.08, 0.09, 0.11)
MARKER_RADIUS_MM = 3.0


def _user_matrix(volume: Volume) -> vtkMatrix4x4:
    """Index-frame millimetres → LPS: the grid's direction cosines and origin."""
    matrix = vtkMatrix4x4()
    for row in range(3):
        for col in range(3):
            matrix.SetElement(row, col, float(volume.direction[row, col]))
        matrix.SetElement(row, 3, float(volume.origin[row]))
    return matrix


def _image_data(volume: Volume) -> vtkImageData:
    """The grey volume as VTK image data in the index frame (shares the numpy memory)."""
    array = volume.array if not volume.is_color else volume.array[..., :3].mean(axis=-1)
    data = np.ascontiguousarray(array)
    if data.dtype not in (np.int16, np.uint16, np.uint8, np.float32):
        data = data.astype(np.float32)
    image = vtkImageData()
    image.SetDimensions(data.shape[2], data.shape[1], data.shape[0])
    image.SetSpacing(volume.spacing_mm)
    image.GetPointData().SetScalars(numpy_to_vtk(data.ravel(), deep=False))
    image._keep = data  # the VTK array borrows this memory
    return image


class Scene:
    """What the 3-D view draws; `render()` returns the frame as an (h, w, 3) uint8 array."""

    def __init__(self, size: tuple[int, int] = (400, 400)) -> None:
        self.window = vtkRenderWindow()
        self.window.SetOffScreenRendering(1)
        self.window.SetMultiSamples(0)
        self.renderer = vtkRenderer()
        self.renderer.SetBackground(*BACKGROUND)
        self.window.AddRenderer(self.renderer)
        self.window.SetSize(*size)
        self.picker = vtkCellPicker()
        self.picker.SetTolerance(0.0005)
        self.surfaces: list[Surface] = []
        self._surface_actors: list[vtkActor] = []
        self._mappers: list[tuple[vtkPolyDataMapper, vtkPolyDataMapper]] = []  # fine, coarse
        self._volume: Volume | None = None
        self._matrix = vtkMatrix4x4()
        self.mode = "off"
        self._prop = vtkVolume()
        self._prop.VisibilityOff()
        self._prop.PickableOff()
        self.renderer.AddVolume(self._prop)
        sphere = vtkSphereSource()
        sphere.SetRadius(MARKER_RADIUS_MM)
        sphere.SetThetaResolution(16)
        sphere.SetPhiResolution(12)
        marker_mapper = vtkPolyDataMapper()
        marker_mapper.SetInputConnection(sphere.GetOutputPort())
        self.marker = vtkActor()
        self.marker.SetMapper(marker_mapper)
        self.marker.GetProperty().SetColor(1.0, 0.85, 0.2)
        self.marker.PickableOff()
        self.marker.VisibilityOff()
        self.renderer.AddActor(self.marker)
        self._buffer = vtkUnsignedCharArray()
        self.interactive = False
        self._surfaces_visible = True
        self._software: bool | None = None

    # Content.

    def set_volume(self, volume: Volume | None) -> None:
        """Show `volume` (its surfaces and rendering come separately); None empties the scene."""
        self._volume = volume
        self.set_surfaces([])
        self.marker.VisibilityOff()
        if volume is None:
            self._prop.VisibilityOff()
            return
        self._matrix = _user_matrix(volume)
        mapper = vtkSmartVolumeMapper()
        if self.software:
            # Mesa's software GL runs the GPU ray caster at ~1 frame/s; VTK's CPU ray caster
            # (threaded, sample distance adapted while the camera moves) is ~10x faster there.
            mapper.SetRequestedRenderModeToRayCast()
        mapper.SetInputData(_image_data(volume))
        self._prop.SetMapper(mapper)
        self._prop.SetUserMatrix(self._matrix)
        self.set_mode(self.mode)
        self.reset_camera()

    def set_surfaces(self, surfaces: list[Surface]) -> None:
        """Replace the label surfaces (meshes in the index frame's millimetres)."""
        for actor in self._surface_actors:
            self.renderer.RemoveActor(actor)
        self.surfaces, self._surface_actors = list(surfaces), []
        self._mappers = []
        for surface in surfaces:
            fine, coarse = vtkPolyDataMapper(), vtkPolyDataMapper()
            fine.SetInputData(surface.mesh)
            coarse.SetInputData(surface.coarse)
            for mapper in (fine, coarse):
                mapper.ScalarVisibilityOff()
            self._mappers.append((fine, coarse))
            actor = vtkActor()
            actor.SetMapper(coarse if self.interactive else fine)
            prop = actor.GetProperty()
            prop.SetColor(*surface.color)
            prop.SetOpacity(surface.opacity)
            prop.SetSpecular(0.2)
            prop.SetSpecularPower(20)
            actor.SetUserMatrix(self._matrix)
            actor.SetVisibility(self._surfaces_visible)
            self.renderer.AddActor(actor)
            self._surface_actors.append(actor)

    def set_surfaces_visible(self, visible: bool) -> None:
        self._surfaces_visible = bool(visible)
        for actor in self._surface_actors:
            actor.SetVisibility(self._surfaces_visible)

    @property
    def software(self) -> bool:
        """Whether OpenGL is a software renderer (Mesa llvmpipe/softpipe, no GPU)."""
        if self._software is None:
            self.window.Render()  # the GL context exists from the first render on
            report = self.window.ReportCapabilities().lower()
            self._software = any(name in report for name in ("llvmpipe", "softpipe", "swrast"))
        return self._software

    def set_interactive(self, interactive: bool) -> None:
        """While the camera moves, the volume is sampled coarser and the surfaces drawn from
        their coarse meshes, to keep the frame rate."""
        self.interactive = bool(interactive)
        self.window.SetDesiredUpdateRate(15.0 if interactive else 0.0001)
        for actor, mappers in zip(self._surface_actors, self._mappers, strict=True):
            actor.SetMapper(mappers[1] if interactive else mappers[0])

    def set_mode(self, mode: str) -> None:
        """Volume rendering: "off", a `VOLUME_PRESETS` name, or "mip" (maximum intensity)."""
        if mode not in VOLUME_MODES:
            raise ValueError(f"volume mode must be one of {', '.join(VOLUME_MODES)}, got {mode!r}")
        self.mode = mode
        mapper = self._prop.GetMapper()
        if self._volume is None or mapper is None:
            return
        self._prop.SetVisibility(mode != "off")
        if mode == "off":
            return
        colours, opacity = vtkColorTransferFunction(), vtkPiecewiseFunction()
        if mode == "mip":
            mapper.SetBlendModeToMaximumIntensity()
            low, high = np.percentile(self._volume.array[::4, ::4, ::4], (50, 99.9))
            colours.AddRGBPoint(float(low), 0, 0, 0)
            colours.AddRGBPoint(float(high), 1, 1, 1)
            opacity.AddPoint(float(low), 0.0)
            opacity.AddPoint(float(high), 1.0)
        else:
            mapper.SetBlendModeToComposite()
            colour_points, opacity_points = VOLUME_PRESETS[mode]
            for value, rgb in colour_points:
                colours.AddRGBPoint(value, *rgb)
            for value, alpha in opacity_points:
                opacity.AddPoint(value, alpha)
        prop = vtkVolumeProperty()
        prop.SetColor(colours)
        prop.SetScalarOpacity(opacity)
        prop.SetInterpolationTypeToLinear()
        prop.SetShade(mode != "mip")
        prop.SetAmbient(0.3)
        prop.SetDiffuse(0.7)
        self._prop.SetProperty(prop)

    def set_marker(self, lps: tuple[float, float, float] | None) -> None:
        """Put the crosshair's marker at `lps` (None hides it)."""
        self.marker.SetVisibility(lps is not None)
        if lps is not None:
            self.marker.SetPosition(*(float(v) for v in lps))

    # Camera.

    def reset_camera(self) -> None:
        """Face the patient (anterior view, head up), the whole volume in view."""
        camera = self.renderer.GetActiveCamera()
        camera.SetFocalPoint(0, 0, 0)
        camera.SetPosition(0, -1, 0)  # LPS: the viewer stands anterior (toward -y)
        camera.SetViewUp(0, 0, 1)
        bounds = self._bounds()
        self.renderer.ResetCamera(bounds) if bounds is not None else self.renderer.ResetCamera()

    def _bounds(self) -> list[float] | None:
        volume = self._volume
        if volume is None:
            return None
        n = np.asarray(volume.shape_zyx[::-1], float) - 1
        corners = np.array([[a, b, c] for a in (0, n[0]) for b in (0, n[1]) for c in (0, n[2])])
        world = volume.voxel_to_world(corners)
        low, high = world.min(axis=0), world.max(axis=0)
        return [low[0], high[0], low[1], high[1], low[2], high[2]]

    def rotate(self, dx: float, dy: float) -> None:
        """Turn the camera about the focal point: `dx`, `dy` degrees across and up."""
        camera = self.renderer.GetActiveCamera()
        camera.Azimuth(-dx)
        camera.Elevation(dy)
        camera.OrthogonalizeViewUp()
        self.renderer.ResetCameraClippingRange()

    def zoom(self, factor: float) -> None:
        """Move closer by `factor` (> 1 magnifies)."""
        self.renderer.GetActiveCamera().Dolly(factor)
        self.renderer.ResetCameraClippingRange()

    def pan(self, dx: float, dy: float) -> None:
        """Slide the view by (`dx`, `dy`) fractions of its height, right and up."""
        camera = self.renderer.GetActiveCamera()
        focal, position = np.array(camera.GetFocalPoint()), np.array(camera.GetPosition())
        distance = np.linalg.norm(position - focal)
        height = 2 * distance * np.tan(np.radians(camera.GetViewAngle()) / 2)
        up = np.array(camera.GetViewUp())
        right = np.cross(focal - position, up)
        right /= np.linalg.norm(right)
        shift = (-dx * right - dy * up) * height
        camera.SetFocalPoint(*(focal + shift))
        camera.SetPosition(*(position + shift))
        self.renderer.ResetCameraClippingRange()

    # Output.

    def set_size(self, width: int, height: int) -> None:
        self.window.SetSize(max(int(width), 16), max(int(height), 16))
        # The view angle spans the shorter side, so a tall narrow view (layout "4") still shows
        # what a wide one fitted.
        self.renderer.GetActiveCamera().SetUseHorizontalViewAngle(width < height)

    def render(self) -> np.ndarray:
        """Draw and read the frame back: (height, width, 3) uint8, top row first."""
        self.window.Render()
        width, height = self.window.GetSize()
        self.window.GetPixelData(0, 0, width - 1, height - 1, 0, self._buffer, 0)
        pixels = vtk_to_numpy(self._buffer).reshape(height, width, 3)
        return np.ascontiguousarray(pixels[::-1])

    def pick(self, x: float, y: float) -> tuple[float, float, float] | None:
        """The LPS point (mm) of the surface under frame pixel (`x`, `y`), top-left origin, or
        None when no surface is there."""
        height = self.window.GetSize()[1]
        if not self.picker.Pick(x, height - 1 - y, 0, self.renderer):
            return None
        if self.picker.GetActor() is None:
            return None
        return tuple(float(v) for v in self.picker.GetPickPosition())

    def close(self) -> None:
        """Let go of the render window's GL context."""
        self.window.Finalize()
