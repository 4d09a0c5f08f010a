"""Neural style transfer three ways: Gatys et al. 2016 (optimisation,
--mode=stylize), Johnson et al. 2016 (a feed-forward network trained on content
images against one style image) and the fusion of content, style and
adversarial losses (Johnson's network plus a PatchGAN judging style patches).

  python launch.py --config=experiments/style_transfer.py --workdir=runs/johnson \
      --config.data.source=folder:datasets/coco --config.style.image=starry_night.jpg
  python launch.py --config=experiments/style_transfer.py:demo --workdir=runs/johnson_demo
  python launch.py --config=experiments/style_transfer.py:demo,fusion --workdir=runs/fusion_demo
  python launch.py --config=... --workdir=runs/johnson_demo --mode=translate \
      --input=DIR --output=OUT
  python launch.py --mode=stylize --content=photo.jpg --style=painting.jpg --output=out.png
Options: demo (embedded: crops of scikit-image's photos, styled as its
immunohistochemistry, minutes on 2 CPU cores), fusion (adds the adversarial term),
gatys (the settings --mode=stylize uses), smoke (seconds).
"""

from gan_jax import config as config_lib


def johnson_settings(c):
  """Johnson et al. 2016, sec. 4.1 and the supplementary material."""
  c.method = 'style_transfer'
  c.model.generator = 'johnson'      # their image transformation network (models/johnson.py)
  c.model.g_width = 32
  c.data.channels = 3
  c.data.image_size = 256            # 256 x 256 COCO crops
  c.data.source = 'folder:datasets/coco'
  c.train.batch_size = 4             # batch 4, 40,000 iterations (about 2 epochs of COCO)
  config_lib.set_schedule(c, 40000, log_every=200, checkpoint_every=2000)
  c.optim.g.name, c.optim.g.lr, c.optim.g.b1, c.optim.g.b2 = 'adam', 1e-3, 0.9, 0.999
  c.style.content_layers = ('relu2_2',)                          # sec. 4.1
  c.style.style_layers = ('relu1_2', 'relu2_2', 'relu3_3', 'relu4_3')
  # Weights for gan_jax/perceptual.py's normalisations (feature MSE; squared Frobenius
  # distance of Grams / C H W), not the paper's numbers, which go with others. Chosen
  # on the demo: style_weight 0.05 or more flattens the outputs to the style's mean
  # colour within 100 steps (the content term then stalls); 0.005-0.01 keeps the content.
  c.style.content_weight, c.style.style_weight, c.style.tv_weight = 1.0, 0.01, 1e-4
  c.train.sample_grid = 16           # 8 held-out content images and their stylisations
  c.eval.metrics = ('style_content',)
  c.eval.main_metric, c.eval.main_mode = 'style_distance', 'min'
  c.eval.every = 2000
  c.eval.num_samples = 400           # held-out content images (embedded:photos has 400)
  c.eval.batch_size = 50


def fusion_settings(c):
  """The seed document's fusion: a PatchGAN (instance norm, hinge loss) judges random
  crops of the style image against the network's outputs."""
  c.style.adversarial_weight = 0.1
  c.model.discriminator = 'patchgan'
  c.model.norm = 'instance'
  c.model.d_width, c.model.d_layers = 32, 2
  c.optim.d.name, c.optim.d.lr, c.optim.d.b1, c.optim.d.b2 = 'adam', 1e-4, 0.5, 0.999


def gatys_settings(c):
  """Gatys et al. 2016, sec. 3: content relu4_2, style relu1_1 ... relu5_1 (VGG19;
  VGG16 has the same layers), L-BFGS from the content image; weights for our
  normalisations (gan_jax/stylize.py)."""
  c.style.content_layers = ('relu4_2',)
  c.style.style_layers = ('relu1_1', 'relu2_1', 'relu3_1', 'relu4_1', 'relu5_1')
  c.style.content_weight, c.style.style_weight, c.style.tv_weight = 1.0, 100.0, 1e-4
  c.style.steps, c.style.optimizer = 100, 'lbfgs'
  c.data.image_size = 256            # the working resolution of --mode=stylize (shorter side)


def get_config(arg=None):
  opts = config_lib.parse_arg(arg, ('demo', 'fusion', 'gatys', 'smoke'))
  c = config_lib.base_config()
  johnson_settings(c)
  if 'demo' in opts:
    c.data.source = 'embedded:photos'
    c.data.image_size = 32           # CPU-sized: a demo of minutes on 2 cores
    c.style.image = 'skimage:immunohistochemistry'
    c.style.size = 96
    c.train.batch_size = 8
    config_lib.set_schedule(c, 1500, log_every=100, checkpoint_every=500)
    c.eval.every = 500
  if 'fusion' in opts:
    fusion_settings(c)
  if 'gatys' in opts:
    gatys_settings(c)
  if 'smoke' in opts:
    config_lib.apply_smoke(c)
    c.data.source = 'embedded:photos'
    c.style.size = 32
    c.eval.every = 4
  return c
