<?php

// The package's own test bootstrap: Composer's autoloader when the package
// was installed with Composer, else a PSR-4 loader for src/.

declare(strict_types=1);

foreach ([__DIR__ . '/../vendor/autoload.php', __DIR__ . '/../../../autoload.php'] as $autoload) {
    if (is_file($autoload)) {
        require $autoload;
        return;
    }
}
spl_autoload_register(static function (string $class): void {
    $prefixes = ['IdenfyMock\\Tests\\' => __DIR__ . '/', 'IdenfyMock\\' => __DIR__ . '/../src/'];
    foreach ($prefixes as $prefix => $dir) {
        if (str_starts_with($class, $prefix)) {
            $file = $dir . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
            if (is_file($file)) {
                require $file;
            }
            return;
        }
    }
});
