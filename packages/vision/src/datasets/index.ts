/** `torchvision.datasets`: MNIST and Fashion-MNIST. */
export { FashionMNIST, MNIST, type MNISTBytes, type MNISTLoadOptions, type MNISTOptions } from './mnist.js';
