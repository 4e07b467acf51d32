<?php
return [
    'driver' => 'redis',
    'lifetime' => 60,
    'expire_on_close' => false,
    'encrypt' => (bool) getenv('SESSION_ENCRYPT'),
    'connection' => 'cache',
    'store' => null,
    'lottery' => [2, 100],
    'cookie' => 'laravel_session',
    'path' => '/',
    'domain' => null,
    'secure' => false,
    'http_only' => true,
    'same_site' => 'lax',
];
