# polish — a short moving scene from Cycles for the temporal AA's motion convention: a checkered
# floor, a box sliding right and up while the camera pans, rendered at 1 sample (aliased) with
# depth and Blender's Vector pass into multi-layer EXR frames OUT.0001.exr ...
# Usage: blender -b --factory-startup --python blender_motion.py -- OUT_STEM W H FRAMES
import bpy, math, sys
argv = sys.argv[sys.argv.index("--") + 1:]
stem, W, H, N = argv[0], int(argv[1]), int(argv[2]), int(argv[3])
sc = bpy.context.scene
for ob in list(bpy.data.objects):
    bpy.data.objects.remove(ob)
sc.render.engine = 'CYCLES'
sc.cycles.samples = 1
sc.cycles.use_denoising = False
sc.cycles.pixel_filter_type = 'BOX'
sc.cycles.filter_width = 0.01          # one sample at the pixel centre: aliased
sc.cycles.seed = 0
sc.render.use_motion_blur = False
sc.render.threads_mode = 'FIXED'
sc.render.threads = 2
sc.render.resolution_x, sc.render.resolution_y, sc.render.resolution_percentage = W, H, 100
vl = sc.view_layers[0]
vl.use_pass_z = True
vl.use_pass_vector = True
checker = bpy.data.materials.new("checker")
checker.use_nodes = True
nt = checker.node_tree
tex = nt.nodes.new("ShaderNodeTexChecker")
tex.inputs["Scale"].default_value = 12
emit = nt.nodes.new("ShaderNodeEmission")
nt.links.new(tex.outputs["Color"], emit.inputs["Color"])
nt.links.new(emit.outputs["Emission"], nt.nodes["Material Output"].inputs["Surface"])
bpy.ops.mesh.primitive_plane_add(size=20, location=(0, 0, 0))
bpy.context.object.data.materials.append(checker)
box = bpy.data.materials.new("box")
box.use_nodes = True
b = box.node_tree
e2 = b.nodes.new("ShaderNodeEmission")
e2.inputs["Color"].default_value = (1.0, 0.35, 0.05, 1)
b.links.new(e2.outputs["Emission"], b.nodes["Material Output"].inputs["Surface"])
bpy.ops.mesh.primitive_cube_add(size=1.2, location=(-1, 0, 0.6))
cube = bpy.context.object
cube.data.materials.append(box)
for f in range(1, N + 1):
    cube.location = (-1 + 0.23 * (f - 1), 0, 0.6 + 0.05 * (f - 1))
    cube.keyframe_insert("location", frame=f)
bpy.ops.object.camera_add(location=(0, -7, 4), rotation=(math.radians(60), 0, 0))
cam = bpy.context.object
for f in range(1, N + 1):
    cam.location = (0.04 * (f - 1), -7, 4)
    cam.keyframe_insert("location", frame=f)
sc.camera = cam
for ob in (cube, cam):
    for fc in ob.animation_data.action.fcurves:
        for k in fc.keyframe_points:
            k.interpolation = 'LINEAR'
sc.frame_start, sc.frame_end = 1, N
sc.render.image_settings.file_format = 'OPEN_EXR_MULTILAYER'
sc.render.image_settings.color_depth = '32'
sc.render.filepath = stem + "."
bpy.ops.render.render(animation=True)
