<?php
// Laravel 8's default Redis options (phpredis, prefix laravel_database_); the cache shares database 0 here.
$redis = ['host' => '127.0.0.1', 'port' => (int) getenv('REDIS_PORT'), 'database' => 0];
return [
    'default' => 'none',
    'connections' => [],
    'redis' => [
        'client' => 'phpredis',
        'options' => ['cluster' => 'redis', 'prefix' => 'laravel_database_'],
        'default' => $redis,
        'cache' => $redis,
    ],
];
