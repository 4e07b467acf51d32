<?php
// Laravel 8's default cache prefix for an app named "laravel".
return [
    'default' => 'redis',
    'stores' => ['redis' => ['driver' => 'redis', 'connection' => 'cache']],
    'prefix' => 'laravel_cache',
];
