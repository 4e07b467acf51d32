<?php
// The app's classes: its HTTP kernel (the web middleware group of a Laravel skeleton) and a user
// provider (every id is a user, so the test needs no database).
namespace App\Http {
    class Kernel extends \Illuminate\Foundation\Http\Kernel
    {
        protected $middleware = [];
        protected $middlewareGroups = [
            'web' => [
                \Illuminate\Cookie\Middleware\EncryptCookies::class,
                \Illuminate\Cookie\Middleware\AddQueuedCookiesToResponse::class,
                \Illuminate\Session\Middleware\StartSession::class,
            ],
        ];
    }
}

namespace App {
    use Illuminate\Auth\GenericUser;
    use Illuminate\Contracts\Auth\Authenticatable;
    use Illuminate\Contracts\Auth\UserProvider;

    class FixedUsers implements UserProvider
    {
        public function retrieveById($identifier)
        {
            return new GenericUser(['id' => $identifier, 'remember_token' => null, 'password' => '']);
        }
        public function retrieveByToken($identifier, $token) { return null; }
        public function updateRememberToken(Authenticatable $user, $token) {}
        public function retrieveByCredentials(array $credentials) { return null; }
        public function validateCredentials(Authenticatable $user, array $credentials) { return false; }
    }
}
